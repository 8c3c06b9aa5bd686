"""Where booking changes are kept (``domain.booking_changes``), in the system of record."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.booking_changes import BookingChange
from domain.bookings import Booking


class BookingChangeRepository(Protocol):
    async def add(self, change: BookingChange) -> None: ...

    async def save(self, change: BookingChange) -> None:
        """Store the change's state, payment and refund (its lines never change)."""
        ...

    async def get(self, tenant_id: UUID, change_id: UUID, *, lock: bool = False) -> BookingChange:
        """The tenant's change; ``NotFoundError`` when absent (or another tenant's)."""
        ...

    async def for_booking(self, booking_id: UUID) -> list[BookingChange]:
        """The booking's changes, oldest first: its change history."""
        ...

    async def by_intent(self, intent_id: str) -> BookingChange | None:
        """The change whose price difference a PaymentIntent pays, whatever its tenant."""
        ...

    async def to_resume(self, now: datetime, cutoff: datetime, limit: int) -> list[BookingChange]:
        """Open changes a crash or an unpaid difference left behind, oldest first: ``held`` ones
        last moved by ``cutoff`` (a request still under way is left alone), and those awaiting
        a payment that was due by ``now``."""
        ...

    async def write_terms(self, booking: Booking) -> None:
        """Store what a swap changes on the booking besides its lifecycle and money: its
        listing, lines and total (``BookingRepository.save`` stores the rest)."""
        ...
