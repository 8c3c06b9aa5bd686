"""Bookings and their lifecycle, written as an explicit transition table."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidTransitionError
from domain.events import BookingCancelled, BookingConfirmed, DomainEvent
from domain.inventory import Hold, HoldLine
from domain.money import Money


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# The whole lifecycle: a move not listed here is an InvalidTransitionError.
# Payment states (pending_payment, payment_failed, refunds) join with the payments work.
BOOKING_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED}),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.EXPIRED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded move of a booking: who, when, why, from and to."""

    from_status: BookingStatus | None
    to_status: BookingStatus
    at: datetime
    actor: str
    reason: str


@dataclass(slots=True)
class Booking:
    """Units bought from one hold. Created confirmed when no payment is needed."""

    id: UUID
    tenant_id: UUID
    hold_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: tuple[HoldLine, ...]
    total: Money
    status: BookingStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1
    history: list[Transition] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def confirm_hold(cls, booking_id: UUID, hold: Hold, now: datetime, actor: str) -> Booking:
        """A booking for a confirmed hold, at the prices the hold locked."""
        booking = cls(
            id=booking_id,
            tenant_id=hold.tenant_id,
            hold_id=hold.id,
            listing_id=hold.listing_id,
            customer_ref=hold.customer_ref,
            lines=hold.lines,
            total=hold.total_price,
            status=BookingStatus.CONFIRMED,
            created_at=now,
            updated_at=now,
        )
        booking.history.append(Transition(None, BookingStatus.CONFIRMED, now, actor, "hold confirmed"))
        booking.events.append(BookingConfirmed(booking_id, hold.tenant_id, hold.id, now))
        return booking

    def can_move_to(self, target: BookingStatus) -> bool:
        return target in BOOKING_TRANSITIONS[self.status]

    def move_to(self, target: BookingStatus, now: datetime, actor: str, reason: str) -> None:
        if not self.can_move_to(target):
            raise InvalidTransitionError("booking", self.status.value, target.value)
        self.history.append(Transition(self.status, target, now, actor, reason))
        self.status = target
        self.updated_at = now
        self.version += 1

    def cancel(self, now: datetime, actor: str, reason: str) -> None:
        """Cancel a confirmed booking; its units go back to their pools."""
        self.move_to(BookingStatus.CANCELLED, now, actor, reason)
        self.events.append(BookingCancelled(self.id, self.tenant_id, self.hold_id, now))
