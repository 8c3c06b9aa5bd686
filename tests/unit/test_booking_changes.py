"""The booking change's state machine and what a swap does to the booking (domain only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.booking_changes import CHANGE_TRANSITIONS, BookingChange, ChangeState, apply_swap
from domain.bookings import Booking, Payment
from domain.errors import InvalidTransitionError
from domain.inventory import Hold, HoldLine
from domain.money import Money

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def _booking() -> Booking:
    hold = Hold(
        uuid4(), uuid4(), uuid4(), "cust", (HoldLine(uuid4(), 1, 1000),), "EUR", NOW, NOW + timedelta(minutes=5)
    )
    payment = Payment("pi_1", "secret", NOW, captured=1000)
    return Booking.await_payment(hold, NOW, "test", payment)


def _change(booking: Booking, new_total: int) -> BookingChange:
    change_id = uuid4()
    line = HoldLine(uuid4(), 1, new_total)
    return BookingChange(
        change_id, booking.tenant_id, booking.id, ChangeState.HELD,
        booking.hold_id, booking.listing_id, booking.lines, booking.total,
        BookingChange.hold_id_for(change_id), uuid4(), (line,), Money(new_total, "EUR"),
        NOW, NOW, NOW + timedelta(minutes=10), "test", intent_id="pi_2",
    )  # fmt: skip


def test_swapped_and_failed_are_final_and_nothing_goes_back_to_held() -> None:
    assert CHANGE_TRANSITIONS[ChangeState.SWAPPED] == CHANGE_TRANSITIONS[ChangeState.FAILED] == frozenset()
    assert all(ChangeState.HELD not in targets for targets in CHANGE_TRANSITIONS.values())
    change = _change(_booking(), 1000)
    change.move_to(ChangeState.FAILED, NOW, "expired")
    with pytest.raises(InvalidTransitionError):
        change.move_to(ChangeState.SWAPPED, NOW)
    assert (change.state, change.reason) == (ChangeState.FAILED, "expired")


def test_a_swap_gives_the_booking_the_new_units_and_counts_the_paid_difference() -> None:
    booking = _booking()
    change = _change(booking, 2500)
    version = booking.version

    apply_swap(booking, change, NOW, captured=change.difference)

    assert (booking.hold_id, booking.listing_id, booking.lines) == (
        change.new_hold_id,
        change.new_listing_id,
        change.new_lines,
    )
    assert (booking.total.amount, booking.payment.captured if booking.payment else None) == (2500, 2500)
    assert booking.version == version + 1
    assert change.difference == 1500


def test_ids_derived_from_a_change_are_stable_and_distinct() -> None:
    change_id = uuid4()
    assert BookingChange.hold_id_for(change_id) == BookingChange.hold_id_for(change_id)
    assert BookingChange.hold_id_for(change_id) != BookingChange.refund_id_for(change_id)
