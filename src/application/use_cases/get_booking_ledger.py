"""Read what one booking's money did: its ledger transactions and their totals."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.ledger_views import BookingLedger


class GetBookingLedgerHandler:
    """The booking must be the tenant's (else ``NotFoundError``, as if it did not exist); a
    booking nothing was posted for has an empty view."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, booking_id: UUID) -> BookingLedger:
        async with self._uow() as uow:
            await uow.bookings.get(tenant_id, booking_id)
            return await uow.ledger.booking_view(tenant_id, booking_id)
