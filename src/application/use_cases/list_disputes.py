"""The disputes opened against a booking's payment."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.disputes import Dispute


class ListDisputesHandler:
    """Another tenant's booking is not found, exactly like one that does not exist."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, booking_id: UUID) -> list[Dispute]:
        async with self._uow() as uow:
            booking = await uow.bookings.get(tenant_id, booking_id)
            return await uow.disputes.for_booking(booking.id)
