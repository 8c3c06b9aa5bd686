"""Read one booking."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.bookings import Booking
from domain.errors import NotFoundError


class GetBookingHandler:
    """Another tenant's booking is not found, exactly like one that does not exist; so is another
    customer's when ``customer_ref`` confines the caller to one (a signed-in customer)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, booking_id: UUID, customer_ref: str | None = None) -> Booking:
        async with self._uow() as uow:
            booking = await uow.bookings.get(tenant_id, booking_id)
        if customer_ref not in (None, booking.customer_ref):
            raise NotFoundError("booking", booking_id)
        return booking
