"""The refunds asked for a booking, and where each stands."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.refunds import Refund


class ListRefundsHandler:
    """Another tenant's booking is not found, exactly like one that does not exist."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, booking_id: UUID) -> list[Refund]:
        async with self._uow() as uow:
            booking = await uow.bookings.get(tenant_id, booking_id)
            return await uow.refunds.for_booking(booking.id)
