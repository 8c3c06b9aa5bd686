"""Changing a confirmed booking (other seats, other dates, another flight): an atomic swap.

A change is recorded as its own row with an explicit state machine, so that a crash between
its steps can always be finished or undone from what is stored:

===================  ======================================================================
state                meaning
===================  ======================================================================
``held``             the new units are held (the engine placed the change's hold); nothing
                     else moved yet: the booking still owns its old units
``awaiting_payment`` the new total is higher: a PaymentIntent for the difference waits for
                     the customer; the new hold expires if it is not paid in time
``swapped``          done: the new hold is sold, the old one cancelled, the booking names the
                     new units and total, the difference charged or refunded (final)
``failed``           undone: the new hold was released or expired and the booking is as it
                     was (final)
===================  ======================================================================

The order of the steps is the whole point: the new hold is placed first, and only when it is
held (and paid, when the difference is charged) are the old units given back, in the same unit
of work that confirms the new ones. So the customer never holds neither, and holds both only
for the duration of the change itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from domain.bookings import Booking, Payment
from domain.errors import ConflictError, InvalidTransitionError
from domain.inventory import HoldLine
from domain.money import Money

_CHANGE_NAMESPACE = UUID("2d6c1a47-93e0-4f55-8b8e-51a0c7d3e9f2")


class ChangeState(enum.StrEnum):
    HELD = "held"
    AWAITING_PAYMENT = "awaiting_payment"
    SWAPPED = "swapped"
    FAILED = "failed"


C = ChangeState
CHANGE_TRANSITIONS: dict[ChangeState, frozenset[ChangeState]] = {
    C.HELD: frozenset({C.AWAITING_PAYMENT, C.SWAPPED, C.FAILED}),
    C.AWAITING_PAYMENT: frozenset({C.SWAPPED, C.FAILED}),
    C.SWAPPED: frozenset(),
    C.FAILED: frozenset(),
}
OPEN_STATES = frozenset({C.HELD, C.AWAITING_PAYMENT})


class BookingNotChangeableError(ConflictError):
    """Only a confirmed booking can be changed (not one awaiting payment, cancelled, expired)."""

    code = "booking_not_changeable"


class ChangeInProgressError(ConflictError):
    """The booking has another change under way (held, or awaiting its payment)."""

    code = "change_in_progress"


class NothingToChangeError(ConflictError):
    """The change asks for exactly what the booking has already."""

    code = "nothing_to_change"


@dataclass(slots=True)
class BookingChange:
    """One change of one booking, from its old hold to a new one."""

    id: UUID
    tenant_id: UUID
    booking_id: UUID
    state: ChangeState
    old_hold_id: UUID
    old_listing_id: UUID
    old_lines: tuple[HoldLine, ...]
    old_total: Money
    new_hold_id: UUID
    new_listing_id: UUID
    new_lines: tuple[HoldLine, ...]
    new_total: Money
    created_at: datetime
    updated_at: datetime
    due_at: datetime  # the new hold's expiry: unpaid by then, the change fails
    actor: str
    intent_id: str | None = None  # the PaymentIntent for a higher total's difference
    client_secret: str | None = None
    refund_id: UUID | None = None  # the refund of a lower total's difference
    reason: str | None = None  # why it failed

    @staticmethod
    def hold_id_for(change_id: UUID) -> UUID:
        """The new hold's id derives from the change's: a retried step finds the same hold."""
        return uuid5(_CHANGE_NAMESPACE, f"hold:{change_id}")

    @staticmethod
    def refund_id_for(change_id: UUID) -> UUID:
        """One change, one refund: its id (and the gateway's idempotency key) derive from it."""
        return uuid5(_CHANGE_NAMESPACE, f"refund:{change_id}")

    @property
    def difference(self) -> int:
        """What the customer owes (positive) or is owed (negative), in minor units."""
        return self.new_total.amount - self.old_total.amount

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def same_target(self, listing_id: UUID, lines: tuple[tuple[UUID, int], ...]) -> bool:
        """Whether a request asks for what this change moves to (a retry)."""
        return listing_id == self.new_listing_id and same_lines(self.new_lines, lines)

    def move_to(self, target: ChangeState, now: datetime, reason: str | None = None) -> None:
        if target not in CHANGE_TRANSITIONS[self.state]:
            raise InvalidTransitionError("booking change", self.state.value, target.value)
        self.state, self.updated_at = target, now
        if reason is not None:
            self.reason = reason


def same_lines(lines: tuple[HoldLine, ...], asked: tuple[tuple[UUID, int], ...]) -> bool:
    return sorted((line.pool_id, line.quantity) for line in lines) == sorted(asked)


def check_currency(old: Money, new: Money) -> None:
    """A change keeps the booking's currency: a difference across currencies means nothing."""
    if old.currency != new.currency:
        raise ConflictError(f"a change cannot move a booking from {old.currency} to {new.currency}")


def apply_swap(booking: Booking, change: BookingChange, now: datetime, captured: int = 0) -> None:
    """The booking now owns the change's new units at the new total; ``captured``: the
    difference paid for it (counted with the booking's money, as the ledger counts it)."""
    booking.hold_id, booking.listing_id = change.new_hold_id, change.new_listing_id
    booking.lines, booking.total = change.new_lines, change.new_total
    if captured:
        if booking.payment is None:  # a free booking now paid for: the change's intent is its payment
            assert change.intent_id is not None
            booking.payment = Payment(change.intent_id, change.client_secret, due_at=change.due_at)
        booking.payment.captured += captured
    booking.updated_at = now
    booking.version += 1
