"""The payment flow under random interleavings, with the fake gateway and a fake clock.

Hypothesis places holds, checks out, pays or declines, delivers the gateway's webhooks
(duplicated, reordered, late), lets time pass and the sweeps run, cancels and refunds. After
every step: no booking is confirmed without its payment captured, no unit is sold twice,
refunds never exceed captures, every ledger posting balances, and the ledger, the bookings
and the gateway agree on every amount.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from uuid import UUID

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

from application.ports.payments import GatewayEvent, IntentStatus, RefundStatus
from application.ports.repositories import BookingFilter, PageRequest
from application.use_cases.cancel_booking import CancelBooking
from application.use_cases.create_booking import CreateBooking
from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.place_hold import PlaceHold
from application.use_cases.refund_booking import RefundBooking
from application.use_cases.register_tenant import RegisterTenant
from domain.bookings import Booking, BookingStatus
from domain.errors import DomainError
from domain.listings import ListingKind
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from tests.fakes.clock import FakeClock

T = TypeVar("T")
PRICES = {"paid": 1500, "free": 0}


def _event(delivery: Any) -> GatewayEvent:
    body = json.loads(delivery.payload)
    return GatewayEvent(body["id"], body["type"], datetime.fromtimestamp(body["created"], UTC), body["data"]["object"])


class PaymentFlow(RuleBasedStateMachine):
    template: ClassVar[Path]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="holdfast-flow-"))
        shutil.copy(self.template, self.folder / "holdfast.db")
        url = f"sqlite+aiosqlite:///{self.folder / 'holdfast.db'}"
        self.clock = FakeClock()
        self.container = build_container(Settings(database_url=url, expiry_sweep_seconds=0))
        self.container.core.clock.override(providers.Object(self.clock))
        self.uc = self.container.use_cases
        self.gateway = self.container.gateways.payments()
        self.events: list[GatewayEvent] = []
        self.bookings: list[UUID] = []

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)  # type: ignore[arg-type]

    def attempt(self, work: Awaitable[object]) -> None:
        """Refusals are part of the game (an expired hold, a refund too large): state must hold."""
        with contextlib.suppress(DomainError):
            self.run(work)

    def teardown(self) -> None:
        try:
            self.run(close_container(self.container))
        finally:
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    @initialize()
    def catalogue(self) -> None:
        self.tenant = self.run(self.uc.register_tenant()(RegisterTenant("acme"))).tenant
        listing = self.run(self.uc.create_listing()(CreateListing(self.tenant.id, ListingKind.EVENT_SHOW, "Show")))
        self.listing_id = listing.id
        create_pool = self.uc.create_pool()
        self.pools = {
            code: self.run(create_pool(CreatePool(self.tenant.id, listing.id, code, 3, price, "EUR"))).pool.id
            for code, price in PRICES.items()
        }

    @rule(code=st.sampled_from(sorted(PRICES)), quantity=st.integers(1, 2), ttl=st.integers(10, 120))
    def check_out(self, code: str, quantity: int, ttl: int) -> None:
        command = PlaceHold(self.tenant.id, self.listing_id, "cust", ((self.pools[code], quantity),), ttl_seconds=ttl)
        try:
            hold = self.run(self.uc.place_hold()(command))
            created = self.run(self.uc.create_booking()(CreateBooking(self.tenant.id, hold.id, "test")))
        except DomainError:
            return
        self.bookings.append(created.booking.id)

    @precondition(lambda self: self.bookings)
    @rule(data=st.data(), outcome=st.sampled_from(["succeeded", "declined"]), deliver_now=st.booleans())
    def pay(self, data: st.DataObject, outcome: str, deliver_now: bool) -> None:
        booking = self.booking(data.draw(st.sampled_from(self.bookings)))
        if booking.payment is None:
            return
        try:
            deliveries = self.run(self.gateway.pay(booking.payment.intent_id, outcome))
        except DomainError:
            return  # not payable any more (paid, or cancelled with its hold)
        events = [_event(d) for d in deliveries]
        self.events += events
        if deliver_now:
            for event in events:
                self.run(self.uc.handle_payment_event().handle(event))

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def deliver_again_or_late(self, data: st.DataObject) -> None:
        self.events += [_event(d) for d in self.run(self.gateway.take_webhooks())]
        event = data.draw(st.sampled_from(self.events))
        self.run(self.uc.handle_payment_event().handle(event))

    @rule(seconds=st.integers(0, 90))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)
        self.run(self.uc.expire_holds()())
        self.run(self.uc.expire_bookings()())

    @precondition(lambda self: self.bookings)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        booking_id = data.draw(st.sampled_from(self.bookings))
        self.attempt(self.uc.cancel_booking()(CancelBooking(self.tenant.id, booking_id, "test")))

    @precondition(lambda self: self.bookings)
    @rule(data=st.data(), amount=st.none() | st.integers(1, 3000))
    def refund(self, data: st.DataObject, amount: int | None) -> None:
        booking_id = data.draw(st.sampled_from(self.bookings))
        self.attempt(self.uc.refund_booking()(RefundBooking(self.tenant.id, booking_id, amount, "test", "op")))

    def booking(self, booking_id: UUID) -> Booking:
        return self.run(self.uc.get_booking()(self.tenant.id, booking_id))

    def all_bookings(self) -> list[Booking]:
        page = self.run(self.uc.list_bookings()(self.tenant.id, BookingFilter(), PageRequest(limit=200)))
        return list(page.items)

    @invariant()
    def nothing_confirmed_without_its_money(self) -> None:
        for booking in self.all_bookings():
            ever_confirmed = any(t.to_status is BookingStatus.CONFIRMED for t in booking.history)
            if ever_confirmed and booking.total.amount > 0:
                assert booking.payment is not None
                assert booking.payment.captured == booking.total.amount, booking

    @invariant()
    def no_unit_sold_twice(self) -> None:
        counters = {c.pool_id: c for c in self.run(self.container.gateways.inventory().snapshot(self.listing_id))}
        sold = dict.fromkeys(counters, 0)
        for booking in self.all_bookings():
            if booking.owns_units:
                for line in booking.lines:
                    sold[line.pool_id] += line.quantity
        for pool_id, pool in counters.items():
            assert pool.held + pool.sold <= pool.capacity
            assert pool.sold == sold[pool_id], (pool, sold[pool_id])

    @invariant()
    def money_agrees_everywhere(self) -> None:
        for booking in self.all_bookings():
            payment = booking.payment
            view = self.run(self.container_ledger_view(booking.id))
            totals = view.totals().get("EUR")
            captured = totals.captured.amount if totals else 0
            refunded = totals.refunded.amount if totals else 0
            if payment is None:
                assert (captured, refunded) == (0, 0)
                continue
            assert 0 <= payment.refunded <= payment.captured
            assert (captured, refunded) == (payment.captured, payment.refunded), booking
            intent = self.run(self.gateway.retrieve_intent(payment.intent_id))
            if payment.captured:
                assert intent.status is IntentStatus.SUCCEEDED
                assert payment.captured == intent.amount_received
            at_gateway = self.run(self.gateway.list_refunds(payment.intent_id))
            assert sum(r.amount for r in at_gateway if r.status is RefundStatus.SUCCEEDED) == payment.refunded

    @invariant()
    def every_posting_balances(self) -> None:
        balances = self.run(self.container_balances())
        assert sum(b.debits for b in balances) == sum(b.credits for b in balances)

    async def container_ledger_view(self, booking_id: UUID) -> Any:
        async with self.container.gateways.uow() as uow:
            return await uow.ledger.booking_view(self.tenant.id, booking_id)

    async def container_balances(self) -> Any:
        async with self.container.gateways.uow() as uow:
            return await uow.ledger.balances(self.tenant.id)


def test_the_payment_flow_keeps_its_promises(sqlite_template: Path) -> None:
    machine = type("Flow", (PaymentFlow,), {"template": sqlite_template})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
