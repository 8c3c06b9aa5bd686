"""Bookings and their lifecycle, written as an explicit transition table.

A booking for a priced hold starts ``pending_payment`` and is confirmed only once its payment
is captured; a free one is confirmed at once. Two things are told apart: the lifecycle
(``status``: does the customer have the units?) moves through the table below; the money
(``payment_status``: paid, partly or wholly refunded) follows the amounts recorded on the
booking and in the ledger. A refund never changes the lifecycle, a cancellation never the money.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid5

from domain.contacts import EmailAddress
from domain.errors import InvalidTransitionError, NothingToRefundError, RefundExceedsCapturedError
from domain.events import (
    BookingAwaitingPayment,
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingPaymentFailed,
    BookingRefunded,
    DomainEvent,
)
from domain.inventory import Hold, HoldLine
from domain.money import Money

# Booking ids derive from hold ids: one booking per hold, and a retried checkout that lost
# its first response finds the same booking (and the same PaymentIntent) again.
_BOOKING_NAMESPACE = UUID("6f1d3c52-8c1e-4d0b-9f7a-2b8e5d4c3a10")


class BookingStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAYMENT_FAILED = "payment_failed"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PaymentStatus(enum.StrEnum):
    """Where the booking's money stands, whatever its lifecycle."""

    NONE = "none"  # a free booking: nothing to pay
    UNPAID = "unpaid"  # nothing captured (not yet, or never)
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


S = BookingStatus

# The whole lifecycle: a move not listed here is an InvalidTransitionError. Refunds are not
# in it: a confirmed booking refunded in full as a goodwill gesture keeps its units (confirmed,
# refunded) until it is cancelled; a late cancellation with half back is cancelled, partially
# refunded.
BOOKING_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.PAYMENT_FAILED, S.EXPIRED, S.CANCELLED}),
    # The hold outlives a failed attempt, so the customer can pay again before it expires.
    S.PAYMENT_FAILED: frozenset({S.CONFIRMED, S.EXPIRED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
AWAITING_PAYMENT = frozenset({S.PENDING_PAYMENT, S.PAYMENT_FAILED})


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded move of a booking: who, when, why, from and to."""

    from_status: BookingStatus | None
    to_status: BookingStatus
    at: datetime
    actor: str
    reason: str


@dataclass(slots=True)
class Payment:
    """What the gateway knows as this booking's PaymentIntent, and the money it moved."""

    intent_id: str
    client_secret: str | None
    due_at: datetime  # the hold's expiry: the intent is cancelled when the hold expires
    captured: int = 0
    refunded: int = 0
    last_error: str | None = None
    # Refunds asked for and not settled yet, as read with the booking (kept with the refunds,
    # never written from here): shown so that an answer never hides money on its way back.
    refunding: int = 0


@dataclass(slots=True)
class Booking:
    """Units bought from one hold."""

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
    payment: Payment | None = None
    contact_email: EmailAddress | None = None  # where the customer's notifications go, if anywhere
    version: int = 1
    history: list[Transition] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def id_for_hold(hold_id: UUID) -> UUID:
        return uuid5(_BOOKING_NAMESPACE, str(hold_id))

    @classmethod
    def confirm_hold(
        cls, hold: Hold, now: datetime, actor: str, contact: EmailAddress | None = None, total: Money | None = None
    ) -> Booking:
        """A booking for a free (or already paid) confirmed hold, at the prices the hold locked
        (``total``: the price a quote locked instead)."""
        booking = cls._from_hold(hold, now, BookingStatus.CONFIRMED, None, contact, total)
        booking._record(None, BookingStatus.CONFIRMED, now, actor, "hold confirmed")
        booking.events.append(BookingConfirmed(booking.id, hold.tenant_id, hold.id, now))
        return booking

    @classmethod
    def await_payment(
        cls,
        hold: Hold,
        now: datetime,
        actor: str,
        payment: Payment,
        contact: EmailAddress | None = None,
        total: Money | None = None,
    ) -> Booking:
        """A booking for a priced hold: the units stay held until the payment is captured
        (``total``: the price a quote locked, instead of the hold's lines')."""
        booking = cls._from_hold(hold, now, BookingStatus.PENDING_PAYMENT, payment, contact, total)
        booking._record(None, BookingStatus.PENDING_PAYMENT, now, actor, "checkout started")
        booking.events.append(BookingAwaitingPayment(booking.id, hold.tenant_id, hold.id, now, payment.intent_id))
        return booking

    @classmethod
    def _from_hold(
        cls,
        hold: Hold,
        now: datetime,
        status: BookingStatus,
        payment: Payment | None,
        contact: EmailAddress | None,
        total: Money | None = None,
    ) -> Booking:
        return cls(
            id=cls.id_for_hold(hold.id),
            tenant_id=hold.tenant_id,
            hold_id=hold.id,
            listing_id=hold.listing_id,
            customer_ref=hold.customer_ref,
            lines=hold.lines,
            total=hold.total_price if total is None else total,
            status=status,
            created_at=now,
            updated_at=now,
            payment=payment,
            contact_email=contact,
        )

    @property
    def owns_units(self) -> bool:
        """Confirmed at some point and not cancelled since: its units are sold to it."""
        reached = {t.to_status for t in self.history}
        return BookingStatus.CONFIRMED in reached and BookingStatus.CANCELLED not in reached

    @property
    def payment_status(self) -> PaymentStatus:
        if self.payment is None:
            return PaymentStatus.NONE
        captured, refunded = self.payment.captured, self.payment.refunded
        if captured == 0:
            return PaymentStatus.UNPAID
        if refunded == 0:
            return PaymentStatus.PAID
        return PaymentStatus.REFUNDED if refunded >= captured else PaymentStatus.PARTIALLY_REFUNDED

    @property
    def refundable(self) -> int:
        return 0 if self.payment is None else self.payment.captured - self.payment.refunded

    def can_move_to(self, target: BookingStatus) -> bool:
        return target in BOOKING_TRANSITIONS[self.status]

    def move_to(self, target: BookingStatus, now: datetime, actor: str, reason: str) -> None:
        if not self.can_move_to(target):
            raise InvalidTransitionError("booking", self.status.value, target.value)
        self._record(self.status, target, now, actor, reason)
        self.status = target
        self.updated_at = now
        self.version += 1

    def confirm_payment(self, captured: int, now: datetime, actor: str, hold_id: UUID | None = None) -> None:
        """The payment was captured and the units are sold (``hold_id``: a hold taken again late)."""
        assert self.payment is not None
        self.payment.captured = captured
        self.payment.last_error = None
        if hold_id is not None:
            self.hold_id = hold_id
        self.move_to(BookingStatus.CONFIRMED, now, actor, "payment captured")
        self.events.append(BookingConfirmed(self.id, self.tenant_id, self.hold_id, now))

    def fail_payment(self, error: str, now: datetime, actor: str) -> None:
        """An attempt failed; the hold stays, so the customer may try again until it expires."""
        assert self.payment is not None
        self.payment.last_error = error
        if self.status is BookingStatus.PAYMENT_FAILED:
            self.updated_at = now
            self.version += 1
            return
        self.move_to(BookingStatus.PAYMENT_FAILED, now, actor, f"payment failed: {error}")
        self.events.append(BookingPaymentFailed(self.id, self.tenant_id, self.hold_id, now, error))

    def expire(self, now: datetime, actor: str, reason: str) -> None:
        self.move_to(BookingStatus.EXPIRED, now, actor, reason)
        self.events.append(BookingExpired(self.id, self.tenant_id, self.hold_id, now))

    def record_unsold_capture(self, captured: int) -> None:
        """A payment that sold nothing (its hold expired and the units were gone, or the booking
        was cancelled first): recorded so that it can be refunded in full."""
        assert self.payment is not None
        self.payment.captured = captured

    def cancel(self, now: datetime, actor: str, reason: str) -> None:
        """Cancel; the caller returns the units (if sold) and refunds what the policy allows.

        Only a booking awaiting payment or owning its units can be cancelled."""
        if not (self.owns_units or self.status in AWAITING_PAYMENT):
            raise InvalidTransitionError("booking", self.status.value, BookingStatus.CANCELLED.value)
        self.move_to(BookingStatus.CANCELLED, now, actor, reason)
        self.events.append(BookingCancelled(self.id, self.tenant_id, self.hold_id, now))

    def check_refund(self, amount: int, outstanding: int = 0) -> None:
        """``amount`` may still be asked for: what was captured, less what was refunded and
        what refunds already asked for but not settled (``outstanding``) have reserved."""
        left = self.refundable - outstanding
        if left <= 0:
            raise NothingToRefundError(f"booking {self.id} has nothing left to refund")
        if not 0 < amount <= left:
            raise RefundExceedsCapturedError(amount, left)

    def record_refund(self, amount: int, now: datetime) -> None:
        """Money went back to the customer: the money status follows, the lifecycle stays."""
        self.check_refund(amount)
        assert self.payment is not None
        self.payment.refunded += amount
        self.events.append(BookingRefunded(self.id, self.tenant_id, self.hold_id, now, amount))
        self.updated_at = now
        self.version += 1

    def _record(self, source: BookingStatus | None, target: BookingStatus, now: datetime, actor: str, why: str) -> None:
        self.history.append(Transition(source, target, now, actor, why))
