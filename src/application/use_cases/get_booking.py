"""Read one booking."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.bookings import Booking


class GetBookingHandler:
    """Another tenant's booking is not found, exactly like one that does not exist."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, booking_id: UUID) -> Booking:
        async with self._uow() as uow:
            return await uow.bookings.get(tenant_id, booking_id)
