"""Refunds against the real Postgres under random interleavings, concurrency and gateway faults.

Hypothesis asks for refunds (alone, several at once, with and without a request key, reusing
keys), cancels, delivers the gateway's webhooks (duplicated, reordered), lets the provider go
down or lose its answers, and runs the retry job. After every step:

* every refund at the gateway is one Holdfast recorded (by its ``refund_id``), once, and not
  marked failed: the gateway never moved money we do not account for;
* what the gateway refunded never exceeds what was captured, and neither do our refunds that
  are not failed (settled plus reserved);
* the booking's refunded amount, our succeeded refunds and the ledger agree exactly.

Once the provider is healthy and the retry job and every webhook have run (``settle``, and at
the end of every run), refunds at the gateway == refunds on the booking == refunds in the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from application.ports.payments import RefundStatus
from application.use_cases.refund_booking import RefundBooking
from domain.errors import DomainError
from domain.refunds import RefundState
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from tests.databases import migrated_postgres, truncate_all
from tests.fakes.clock import FakeClock
from tests.unit.payments.shop import PRICE, Shop

T = TypeVar("T")
KEYS = st.none() | st.sampled_from(["k1", "k2", "k3"])
AMOUNTS = st.none() | st.integers(1, PRICE)


class RefundMachine(RuleBasedStateMachine):
    database_url: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.run(truncate_all(self.database_url))
        self.clock = FakeClock()
        self.container = build_container(
            Settings(database_url=self.database_url, expiry_sweep_seconds=0, db_pool_size=5)
        )
        self.container.core.clock.override(providers.Object(self.clock))
        self.shop = Shop(self.container, self.clock)
        self.webhooks: list[Any] = []
        self.bookings: list[UUID] = []

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)  # type: ignore[arg-type]

    def attempt(self, work: Awaitable[object]) -> None:
        """Refusals (too much, nothing left, a key reused for another amount) are part of the game."""
        with contextlib.suppress(DomainError):
            self.run(work)

    def teardown(self) -> None:
        try:
            if self.bookings:
                self.settle()
        finally:
            try:
                self.run(close_container(self.container))
            finally:
                self.loop.close()

    @initialize(count=st.integers(1, 2))
    def paid_bookings(self, count: int) -> None:
        self.run(self.shop.open())
        for _ in range(count):
            self.bookings.append(self.run(self.shop.paid()).id)
        self.collect()

    def collect(self) -> None:
        self.webhooks += self.run(self.shop.fake.take_webhooks())

    def refund(self, booking_id: UUID, amount: int | None, key: str | None) -> Awaitable[object]:
        command = RefundBooking(self.shop.tenant_id, booking_id, amount, "goodwill", "operator", key)
        return self.shop.uc.refund_booking()(command)

    @rule(data=st.data(), amount=AMOUNTS, key=KEYS)
    def refund_one(self, data: st.DataObject, amount: int | None, key: str | None) -> None:
        self.attempt(self.refund(data.draw(st.sampled_from(self.bookings)), amount, key))
        self.collect()

    @rule(data=st.data(), asks=st.lists(st.tuples(AMOUNTS, KEYS), min_size=2, max_size=5))
    def refund_at_once(self, data: st.DataObject, asks: list[tuple[int | None, str | None]]) -> None:
        booking_id = data.draw(st.sampled_from(self.bookings))

        async def together() -> None:
            await asyncio.gather(*(self.refund(booking_id, a, k) for a, k in asks), return_exceptions=True)

        self.run(together())
        self.collect()

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.attempt(self.shop.cancel(data.draw(st.sampled_from(self.bookings))))
        self.collect()

    @rule(fault=st.sampled_from(["none", "down", "lose_answers"]))
    def provider(self, fault: str) -> None:
        self.shop.gateway.down.discard("refund")
        self.shop.gateway.lose_answers.discard("refund")
        if fault != "none":
            getattr(self.shop.gateway, fault).add("refund")

    @precondition(lambda self: self.webhooks)
    @rule(pick=st.integers(0, 999))
    def deliver_a_webhook(self, pick: int) -> None:
        """Any webhook seen so far, again or out of order (a failing handler is retried by Stripe).
        How many there are depends on how concurrent refunds interleaved: pick by a fixed range."""
        self.attempt(self.shop.deliver([self.webhooks[pick % len(self.webhooks)]]))

    @rule(minutes=st.integers(0, 10))
    def retry_job(self, minutes: int) -> None:
        self.clock.advance(minutes * 60)
        self.attempt(self.shop.uc.retry_refunds()())
        self.collect()

    @rule()
    def settle(self) -> None:
        self.provider("none")
        self.clock.advance(600)
        self.run(self.shop.uc.retry_refunds()())
        self.collect()
        self.run(self.shop.deliver(self.webhooks))
        for booking_id in self.bookings:
            at_gateway, on_booking, in_ledger, _ = self.run(self.amounts(booking_id))
            assert at_gateway == on_booking == in_ledger, (at_gateway, on_booking, in_ledger)

    async def amounts(self, booking_id: UUID) -> tuple[int, int, int, int]:
        """(refunded at the gateway, on the booking, in the ledger, captured)."""
        booking = await self.shop.booking(booking_id)
        assert booking.payment is not None
        made = await self.shop.fake.list_refunds(booking.payment.intent_id)
        async with self.container.gateways.uow() as uow:
            totals = (await uow.ledger.booking_view(self.shop.tenant_id, booking_id)).totals()["EUR"]
        at_gateway = sum(r.amount for r in made if r.status is RefundStatus.SUCCEEDED)
        return at_gateway, booking.payment.refunded, totals.refunded.amount, booking.payment.captured

    @invariant()
    def the_gateway_moves_only_money_we_account_for(self) -> None:
        for booking_id in self.bookings:
            booking = self.run(self.shop.booking(booking_id))
            assert booking.payment is not None
            ours = {str(r.id): r for r in self.run(self.shop.our_refunds(booking_id))}
            made = self.run(self.shop.fake.list_refunds(booking.payment.intent_id))
            named = [r.metadata.get("refund_id") for r in made]
            assert len(named) == len(set(named)), named  # one gateway refund per refund of ours
            for found in made:
                record = ours.get(str(found.metadata.get("refund_id")))
                assert record is not None, found  # never money we did not record first
                assert record.state is not RefundState.FAILED, (found, record)
            asked = sum(r.amount.amount for r in ours.values() if r.state is not RefundState.FAILED)
            at_gateway, on_booking, in_ledger, captured = self.run(self.amounts(booking_id))
            assert at_gateway <= captured, (at_gateway, captured)
            assert asked <= captured, (asked, captured)
            succeeded = sum(r.amount.amount for r in ours.values() if r.state is RefundState.SUCCEEDED)
            assert on_booking == succeeded == in_ledger, (on_booking, succeeded, in_ledger)
            assert on_booking <= at_gateway


@pytest.mark.postgres
def test_refunds_never_move_money_we_do_not_account_for(postgres_url: str) -> None:
    machine = type("Refunds", (RefundMachine,), {"database_url": migrated_postgres(postgres_url, "holdfast_refunds")})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
