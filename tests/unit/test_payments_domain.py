"""The paid booking lifecycle, refund limits and the cancellation policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bookings import Booking, BookingStatus, Payment, PaymentStatus
from domain.errors import InvalidTransitionError, NothingToRefundError, RefundExceedsCapturedError
from domain.inventory import Hold, HoldLine
from domain.listings import CancellationPolicy

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def priced_hold() -> Hold:
    return Hold(
        id=uuid4(),
        tenant_id=uuid4(),
        listing_id=uuid4(),
        customer_ref="ann",
        lines=(HoldLine(uuid4(), 2, 5000),),
        currency="EUR",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=10),
    )


def pending() -> Booking:
    hold = priced_hold()
    return Booking.await_payment(hold, NOW, "t", Payment("pi_1", "pi_1_secret", hold.expires_at))


def paid() -> Booking:
    booking = pending()
    booking.confirm_payment(10_000, NOW, "gateway")
    return booking


def test_one_booking_id_per_hold() -> None:
    hold = priced_hold()
    assert Booking.id_for_hold(hold.id) == Booking.id_for_hold(hold.id)
    assert Booking.id_for_hold(hold.id) != Booking.id_for_hold(uuid4())
    assert pending().id != pending().id


def test_checkout_waits_for_the_payment_then_confirms() -> None:
    booking = pending()
    assert booking.status is BookingStatus.PENDING_PAYMENT
    booking.fail_payment("card_declined", NOW, "gateway")
    booking.fail_payment("insufficient_funds", NOW, "gateway")  # another failed try: no new transition
    booking.confirm_payment(10_000, NOW, "gateway")
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.payment is not None
    assert booking.payment.last_error is None
    assert [t.to_status for t in booking.history] == [
        BookingStatus.PENDING_PAYMENT,
        BookingStatus.PAYMENT_FAILED,
        BookingStatus.CONFIRMED,
    ]
    assert [event.type for event in booking.events] == [
        "BookingAwaitingPayment",
        "BookingPaymentFailed",
        "BookingConfirmed",
    ]


def test_refunds_move_the_money_forward_never_past_the_capture_and_leave_the_lifecycle() -> None:
    booking = paid()
    assert booking.payment_status is PaymentStatus.PAID
    booking.record_refund(3_000, NOW)
    assert (booking.status, booking.payment_status) == (BookingStatus.CONFIRMED, PaymentStatus.PARTIALLY_REFUNDED)
    with pytest.raises(RefundExceedsCapturedError):
        booking.record_refund(7_001, NOW)
    booking.record_refund(7_000, NOW)
    assert (booking.status, booking.payment_status) == (BookingStatus.CONFIRMED, PaymentStatus.REFUNDED)
    assert booking.owns_units  # a goodwill refund in full keeps the units until a cancellation
    assert booking.refundable == 0
    with pytest.raises(NothingToRefundError):
        booking.record_refund(1, NOW)


def test_what_refunds_under_way_reserve_cannot_be_asked_for_again() -> None:
    booking = paid()
    booking.check_refund(6_000, outstanding=4_000)
    with pytest.raises(RefundExceedsCapturedError):
        booking.check_refund(6_001, outstanding=4_000)
    with pytest.raises(NothingToRefundError):
        booking.check_refund(1, outstanding=10_000)


def test_an_unpaid_booking_has_nothing_to_refund() -> None:
    with pytest.raises(NothingToRefundError):
        pending().record_refund(1, NOW)


def test_a_cancelled_paid_booking_stays_cancelled_when_refunded() -> None:
    booking = paid()
    booking.cancel(NOW, "t", "plans changed")
    booking.record_refund(5_000, NOW)
    assert (booking.status, booking.payment_status) == (BookingStatus.CANCELLED, PaymentStatus.PARTIALLY_REFUNDED)
    with pytest.raises(InvalidTransitionError):
        booking.cancel(NOW, "t", "again")


def test_a_late_payment_on_an_expired_booking_is_refunded_without_reviving_it() -> None:
    booking = pending()
    booking.expire(NOW, "expiry", "not paid")
    booking.record_unsold_capture(10_000)
    booking.record_refund(10_000, NOW)
    assert booking.status is BookingStatus.EXPIRED
    assert booking.refundable == 0


START = NOW + timedelta(days=10)
POLICY = CancellationPolicy(full_refund_hours=48, late_refund_percent=50)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - timedelta(hours=49), 10_001),
        (START - timedelta(hours=48), 5_000),  # the cut-off itself is late: 50 %, rounded down
        (START - timedelta(minutes=1), 5_000),
        (START, 0),
        (START + timedelta(days=1), 0),
    ],
)
def test_cancellation_policy(now: datetime, expected: int) -> None:
    assert POLICY.refund_for(10_001, START, now) == expected


def test_a_listing_without_a_start_refunds_in_full() -> None:
    assert POLICY.refund_for(777, None, NOW) == 777


@given(
    refundable=st.integers(min_value=0, max_value=10**12),
    hours=st.integers(min_value=0, max_value=8760),
    percent=st.integers(min_value=0, max_value=100),
    offset=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_the_policy_never_refunds_more_than_is_refundable(
    refundable: int, hours: int, percent: int, offset: int
) -> None:
    refund = CancellationPolicy(hours, percent).refund_for(refundable, START, START + timedelta(minutes=offset))
    assert 0 <= refund <= refundable
