"""Refunds left ``requested`` by a provider outage are made later, once, whatever runs at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import update

from application.use_cases.refunds import execute_refund
from domain.bookings import Booking
from domain.errors import PaymentProviderUnavailableError
from domain.refunds import RefundState
from infrastructure.persistence.tables import bookings
from tests.unit.payments.shop import PRICE, Shop

GRACE_S = 5 * 60


async def refunded_at_gateway(shop: Shop, booking: Booking) -> list[int]:
    assert booking.payment is not None
    return [refund.amount for refund in await shop.fake.list_refunds(booking.payment.intent_id)]


async def cancelled_while_the_provider_is_down(shop: Shop) -> Booking:
    booking = await shop.paid()
    shop.gateway.down.add("refund")
    cancelled = await shop.cancel(booking.id)  # the cancellation stands; the refund waits
    shop.gateway.down.clear()
    assert cancelled.status.value == "cancelled"
    assert await states(shop, booking.id) == [RefundState.REQUESTED]
    return booking


async def states(shop: Shop, booking_id: UUID) -> list[RefundState]:
    return [refund.state for refund in await shop.our_refunds(booking_id)]


async def test_a_cancellations_refund_missed_by_the_provider_is_made_once_by_racing_retries(shop: Shop) -> None:
    booking = await cancelled_while_the_provider_is_down(shop)
    stuck, stuck_refunds = await shop.booking(booking.id), await states(shop, booking.id)
    too_soon = await shop.uc.retry_refunds()()
    shop.clock.advance(GRACE_S + 1)

    settled = await asyncio.gather(shop.uc.retry_refunds()(), shop.uc.retry_refunds()())

    refunded = await shop.booking(booking.id)
    assert (stuck.status.value, stuck.refundable, stuck_refunds) == ("cancelled", PRICE, ["requested"])
    assert too_soon == 0
    assert sorted(settled) == [0, 1]
    assert await refunded_at_gateway(shop, booking) == [PRICE]
    assert shop.gateway.calls["refund"] == 2  # the failed call, then one retry
    assert (refunded.status.value, refunded.payment_status.value, refunded.refundable) == ("cancelled", "refunded", 0)
    assert await states(shop, booking.id) == [RefundState.SUCCEEDED]
    assert await shop.reconcile() == []  # the ledger and the booking agree with the gateway


async def test_running_again_after_the_refund_was_made_changes_nothing(shop: Shop) -> None:
    booking = await cancelled_while_the_provider_is_down(shop)
    shop.clock.advance(GRACE_S + 1)
    first = await shop.uc.retry_refunds()()
    shop.clock.advance(GRACE_S + 1)

    again = await shop.uc.retry_refunds()()

    assert (first, again) == (1, 0)
    assert await refunded_at_gateway(shop, booking) == [PRICE]


async def test_a_refund_whose_answer_was_lost_is_found_at_the_gateway_not_made_twice(shop: Shop) -> None:
    booking = await shop.paid()
    shop.gateway.lose_answers.add("refund")
    assert (await shop.refund(booking.id, 1000)).state is RefundState.REQUESTED  # the answer was lost
    shop.gateway.lose_answers.clear()
    await shop.forget_idempotency_keys()  # a day later Stripe has forgotten the idempotency key
    shop.clock.advance(25 * 3600)

    settled = await shop.uc.retry_refunds()()

    assert settled == 1
    assert shop.gateway.calls["refund"] == 1  # found by its metadata, never asked for again
    assert await refunded_at_gateway(shop, booking) == [1000]
    assert (await shop.booking(booking.id)).payment.refunded == 1000  # type: ignore[union-attr]
    assert await shop.reconcile() == []


async def test_a_refund_the_gateway_refuses_ends_failed_and_no_money_moves_twice(shop: Shop) -> None:
    booking = await cancelled_while_the_provider_is_down(shop)
    assert booking.payment is not None
    await shop.fake.refund(booking.payment.intent_id, amount=PRICE, metadata={}, idempotency_key="dashboard")
    await shop.deliver()  # recorded as refunded at the provider
    shop.clock.advance(GRACE_S + 1)

    settled = await shop.uc.retry_refunds()()

    assert settled == 1
    assert await refunded_at_gateway(shop, booking) == [PRICE]
    assert sorted(await states(shop, booking.id)) == [RefundState.FAILED, RefundState.SUCCEEDED]
    assert (await shop.booking(booking.id)).payment_status.value == "refunded"
    assert await shop.reconcile() == []


async def test_the_provider_still_down_ends_the_run_and_the_refund_waits_for_the_next(shop: Shop) -> None:
    booking = await cancelled_while_the_provider_is_down(shop)
    shop.clock.advance(GRACE_S + 1)
    shop.gateway.down.add("refund")
    with pytest.raises(PaymentProviderUnavailableError):
        await shop.uc.retry_refunds()()
    shop.gateway.down.clear()
    right_after = await shop.uc.retry_refunds()()
    shop.clock.advance(GRACE_S + 1)

    later = await shop.uc.retry_refunds()()

    assert (right_after, later) == (0, 1)  # the failed attempt put it back at the end of the queue
    assert await refunded_at_gateway(shop, booking) == [PRICE]


async def test_a_run_retries_at_most_limit_refunds_past_their_grace(shop: Shop) -> None:
    first = await cancelled_while_the_provider_is_down(shop)
    second = await cancelled_while_the_provider_is_down(shop)
    shop.clock.advance(60)

    not_yet = await shop.uc.retry_refunds()()
    sooner = await shop.uc.retry_refunds()(older_than=timedelta(seconds=30), limit=1)
    rest = await shop.uc.retry_refunds()(older_than=timedelta(seconds=30), limit=1)
    done = await shop.uc.retry_refunds()(older_than=timedelta(seconds=30))

    assert (not_yet, sooner, rest, done) == (0, 1, 1, 0)
    assert await refunded_at_gateway(shop, first) == [PRICE]
    assert await refunded_at_gateway(shop, second) == [PRICE]


async def test_every_path_that_asks_again_finds_a_made_refund_first(shop: Shop) -> None:
    """Not only the job: the webhook retry and the operator's replay ask through ``execute_refund``."""
    booking = await shop.paid()
    shop.gateway.lose_answers.add("refund")
    assert (await shop.refund(booking.id, 1000)).state is RefundState.REQUESTED  # the answer was lost
    shop.gateway.lose_answers.clear()
    await shop.forget_idempotency_keys()  # the idempotency key is forgotten
    [refund] = await shop.our_refunds(booking.id)

    uow = shop.container.gateways.uow.provider()
    settled = await execute_refund(uow, shop.gateway, shop.clock, refund, booking)  # type: ignore[arg-type]

    assert settled.state is RefundState.SUCCEEDED
    assert shop.gateway.calls["refund"] == 1
    assert await refunded_at_gateway(shop, booking) == [1000]


async def test_a_refund_that_can_never_be_asked_for_is_dead_lettered_and_the_others_are_paid(shop: Shop) -> None:
    lost = await cancelled_while_the_provider_is_down(shop)
    owed = await cancelled_while_the_provider_is_down(shop)
    # The first booking's intent is unknown to the provider (a record moved by hand, another account).
    await shop.execute(update(bookings).where(bookings.c.id == lost.id).values(payment_intent_id="pi_unknown"))
    shop.clock.advance(GRACE_S + 1)

    settled = await shop.uc.retry_refunds()()
    letters = await shop.container.gateways.dead_letters().list(include_replayed=False)

    assert settled == 1
    assert await states(shop, owed.id) == [RefundState.SUCCEEDED]
    assert await states(shop, lost.id) == [RefundState.REQUESTED]  # never dropped: a person decides
    assert [(letter.job, "pi_unknown" in letter.error) for letter in letters] == [("retry_refunds", True)]
