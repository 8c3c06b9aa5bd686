"""Customer emails: addresses and their masks, amounts from minor units, content, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.contacts import EmailAddress
from domain.errors import InvalidValueError
from domain.money import Money
from domain.notifications import (
    Notification,
    NotificationKind,
    NotificationStatus,
    format_money,
    render,
)
from domain.webhooks import RetryPolicy

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(123450, "EUR"), "EUR 1,234.50"),
        (Money(5, "USD"), "USD 0.05"),
        (Money(0, "GBP"), "GBP 0.00"),
        (Money(1500, "JPY"), "JPY 1,500"),
        (Money(12345, "KWD"), "KWD 12.345"),
        (Money(-250, "EUR"), "EUR -2.50"),
    ],
)
def test_amounts_are_shown_in_major_units(money: Money, text: str) -> None:
    assert format_money(money) == text


def test_addresses_are_checked_and_masked() -> None:
    address = EmailAddress("jane.doe@example.com")
    assert address.masked == "j***@example.com"
    assert "jane" not in repr(address)
    assert "jane" not in str(address)
    for bad in ("", "jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "a@b@example.com"):
        with pytest.raises(InvalidValueError):
            EmailAddress(bad)
    with pytest.raises(InvalidValueError):
        EmailAddress("j" * 250 + "@example.com")


def test_each_kind_renders_its_own_plain_text_email() -> None:
    booking = uuid4()
    confirmed = render(NotificationKind.BOOKING_CONFIRMED, booking, "The Show", Money(3999, "EUR"))
    assert confirmed.subject == "Your booking for The Show is confirmed"
    assert "Total: EUR 39.99" in confirmed.body
    assert str(booking) in confirmed.body
    expired = render(NotificationKind.BOOKING_EXPIRED, booking, "The Show", Money(3999, "EUR"))
    assert "expired" in expired.subject
    assert "Nothing was charged" in expired.body
    refunded = render(NotificationKind.BOOKING_REFUNDED, booking, "The Show", Money(1000, "EUR"))
    assert refunded.subject == "Your refund for The Show"
    assert "We refunded EUR 10.00" in refunded.body


_ADDRESS = EmailAddress("a@example.com")


def test_a_failing_notification_backs_off_then_dies() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=60, cap_seconds=3600)
    note = Notification(
        uuid4(),
        uuid4(),
        NotificationKind.BOOKING_CONFIRMED,
        uuid4(),
        uuid4(),
        EmailAddress("a@example.com"),
        NOW,
        NOW,
        1,
    )
    note.failed("SMTP down", NOW, policy, 0.0)
    assert (note.status, note.attempts, note.next_attempt_at) == (
        NotificationStatus.PENDING,
        1,
        NOW + timedelta(seconds=30),
    )
    note.failed("SMTP down", NOW, policy, 0.0)
    note.failed("SMTP down", NOW, policy, 0.0)
    assert (note.status, note.attempts, note.next_attempt_at) == (NotificationStatus.DEAD, 3, None)


def test_a_sent_notification_records_when() -> None:
    note = Notification(
        uuid4(),
        uuid4(),
        NotificationKind.BOOKING_REFUNDED,
        uuid4(),
        uuid4(),
        EmailAddress("a@example.com"),
        NOW,
        NOW,
        1,
    )
    note.failed("boom", NOW, RetryPolicy(), 0.5)
    note.sent(NOW + timedelta(minutes=1))
    assert (note.status, note.sent_at, note.last_error, note.attempts) == (
        NotificationStatus.SENT,
        NOW + timedelta(minutes=1),
        None,
        2,
    )
