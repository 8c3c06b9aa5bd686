"""The booking state machine and the hold transition table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.bookings import BOOKING_TRANSITIONS, Booking, BookingStatus
from domain.errors import HoldExpiredError, HoldNotActiveError, InvalidTransitionError, InvalidValueError
from domain.inventory import HOLD_TRANSITIONS, Hold, HoldLine, HoldStatus
from domain.money import Money

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def a_hold(**changes: object) -> Hold:
    values: dict[str, object] = {
        "id": uuid4(),
        "tenant_id": uuid4(),
        "listing_id": uuid4(),
        "customer_ref": "ann",
        "lines": (HoldLine(uuid4(), 2, 1500), HoldLine(uuid4(), 1, 999)),
        "currency": "EUR",
        "created_at": NOW,
        "expires_at": NOW + timedelta(minutes=10),
    }
    values.update(changes)
    return Hold(**values)  # type: ignore[arg-type]


def test_a_booking_takes_the_holds_locked_prices() -> None:
    hold = a_hold(status=HoldStatus.CONFIRMED)
    booking = Booking.confirm_hold(hold, NOW, "tenant:x")
    assert booking.total == Money(3999, "EUR")
    assert booking.status is BookingStatus.CONFIRMED
    assert [(t.from_status, t.to_status) for t in booking.history] == [(None, BookingStatus.CONFIRMED)]
    assert [event.type for event in booking.events] == ["BookingConfirmed"]


def test_cancel_is_recorded_and_only_allowed_once() -> None:
    booking = Booking.confirm_hold(a_hold(status=HoldStatus.CONFIRMED), NOW, "tenant:x")
    booking.cancel(NOW + timedelta(hours=1), "tenant:x", "plans changed")
    assert booking.status is BookingStatus.CANCELLED
    assert booking.history[-1].reason == "plans changed"
    assert booking.version == 2
    with pytest.raises(InvalidTransitionError):
        booking.cancel(NOW, "tenant:x", "again")


@pytest.mark.parametrize("source", list(BookingStatus))
@pytest.mark.parametrize("target", list(BookingStatus))
def test_booking_moves_follow_the_table_exactly(source: BookingStatus, target: BookingStatus) -> None:
    booking = Booking.confirm_hold(a_hold(status=HoldStatus.CONFIRMED), NOW, "t")
    booking.status = source
    if target in BOOKING_TRANSITIONS[source]:
        booking.move_to(target, NOW, "t", "r")
        assert booking.status is target
    else:
        with pytest.raises(InvalidTransitionError):
            booking.move_to(target, NOW, "t", "r")
        assert booking.status is source


@pytest.mark.parametrize("source", list(HoldStatus))
@pytest.mark.parametrize("target", list(HoldStatus))
def test_hold_moves_follow_the_table_exactly(source: HoldStatus, target: HoldStatus) -> None:
    hold = a_hold(status=source)
    if target in HOLD_TRANSITIONS[source]:
        assert hold.moved_to(target).status is target
    else:
        with pytest.raises((HoldNotActiveError, HoldExpiredError)):
            hold.moved_to(target)


def test_confirming_an_expired_hold_says_so() -> None:
    with pytest.raises(HoldExpiredError):
        a_hold(status=HoldStatus.EXPIRED).moved_to(HoldStatus.CONFIRMED)


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": ()},
        {"customer_ref": " "},
        {"expires_at": NOW},
        {"lines": (HoldLine(uuid4(), 1), HoldLine(uuid4(), 1))[:1] * 2},
    ],
)
def test_holds_refuse_bad_values(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError):
        a_hold(**changes)


@pytest.mark.parametrize("quantity", [0, -1, 10_001, True])
def test_lines_refuse_bad_quantities(quantity: int) -> None:
    with pytest.raises(InvalidValueError):
        HoldLine(uuid4(), quantity)


def test_due_is_inclusive_of_the_expiry_instant() -> None:
    hold = a_hold()
    assert not hold.is_due(hold.expires_at - timedelta(microseconds=1))
    assert hold.is_due(hold.expires_at)
