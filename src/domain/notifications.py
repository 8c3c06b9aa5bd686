"""Emails to customers about their bookings, and the rules for sending them.

The relay writes one notification per event that warrants an email (a booking confirmed,
expired or refunded) when the booking has a contact email. A notification is ``pending`` until
sent; a failed send is tried again with backoff, and after ``max_attempts`` it is ``dead``.
A booking's emails go out in the order of its events: one waits while an earlier one of the
same booking is still pending (due, being retried, or being sent).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.contacts import EmailAddress
from domain.money import Money
from domain.webhooks import RetryPolicy

# Digits after the decimal point, where ISO 4217 says other than two.
_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


class NotificationKind(enum.StrEnum):
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_EXPIRED = "booking_expired"
    BOOKING_REFUNDED = "booking_refunded"


# The events that warrant an email, by their CloudEvents type (the public name of the event).
KIND_BY_EVENT_TYPE = {
    "holdfast.booking.confirmed.v1": NotificationKind.BOOKING_CONFIRMED,
    "holdfast.booking.expired.v1": NotificationKind.BOOKING_EXPIRED,
    "holdfast.booking.refunded.v1": NotificationKind.BOOKING_REFUNDED,
}


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # failed max_attempts times; nobody retries it


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    body: str


@dataclass(slots=True)
class Notification:
    """One email about one event of a booking (unique per event and kind)."""

    id: UUID
    event_id: UUID
    kind: NotificationKind
    tenant_id: UUID
    booking_id: UUID
    recipient: EmailAddress
    created_at: datetime
    updated_at: datetime
    sequence: int  # its event's place among the booking's events: the order the emails go out in
    data: dict[str, Any] = field(default_factory=dict)  # the event's data, as recorded
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    def sent(self, now: datetime) -> None:
        self.attempts += 1
        self.status, self.sent_at, self.updated_at = NotificationStatus.SENT, now, now
        self.next_attempt_at = self.last_error = None

    def failed(self, error: str, now: datetime, policy: RetryPolicy, jitter: float) -> None:
        self.attempts += 1
        self.last_error, self.updated_at = error, now
        if policy.gives_up(self.attempts):
            self.status, self.next_attempt_at = NotificationStatus.DEAD, None
        else:
            self.next_attempt_at = now + policy.delay(self.attempts, jitter)


def format_money(money: Money) -> str:
    """``EUR 1,234.50`` from 123450 minor units: the currency's own number of decimals."""
    exponent = _EXPONENTS.get(money.currency, 2)
    sign = "-" if money.amount < 0 else ""
    whole, fraction = divmod(abs(money.amount), 10**exponent)
    decimals = f".{fraction:0{exponent}d}" if exponent else ""
    return f"{money.currency} {sign}{whole:,}{decimals}"


def render(kind: NotificationKind, booking_id: UUID, listing_name: str, amount: Money) -> EmailContent:
    """The plain-text email; ``amount`` is the booking's total, or what a refund gave back."""
    money = format_money(amount)
    if kind is NotificationKind.BOOKING_CONFIRMED:
        subject = f"Your booking for {listing_name} is confirmed"
        lines = [f"Your booking for {listing_name} is confirmed.", f"Total: {money}"]
    elif kind is NotificationKind.BOOKING_EXPIRED:
        subject = f"Your booking for {listing_name} has expired"
        lines = [
            f"Your booking for {listing_name} expired before it was paid, and its places were released.",
            "Nothing was charged. You are welcome to book again.",
        ]
    else:
        subject = f"Your refund for {listing_name}"
        lines = [f"We refunded {money} for your booking for {listing_name}.", "It may take a few days to appear."]
    body = "\n".join(["Hello,", "", *lines, "", f"Booking reference: {booking_id}", "", "-- Holdfast", ""])
    return EmailContent(subject, body)
