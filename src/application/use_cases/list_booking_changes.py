"""A booking's change history."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.booking_changes import BookingChange


class ListBookingChangesHandler:
    """The booking's changes, oldest first, whatever their state (the caller has checked that
    the booking is the tenant's, and the customer's when a customer asks)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, booking_id: UUID) -> list[BookingChange]:
        async with self._uow() as uow:
            return await uow.booking_changes.for_booking(booking_id)
