"""A booking change interrupted between any two of its steps is finished or undone, and then no
unit is lost or sold twice and no money moved twice.

The crash is an exception injected through a wrapper of the inventory engine or of the fake
payment gateway, before or after the call acts (after: the engine or the gateway did the work,
and the process died before it heard of it). Recovery is what production runs: the
``expire_holds`` job's change sweep (``resume_booking_changes``), the refunds retry job, and a
late payment hint. On the memory engine (outside the database's transaction, like Redis) and
on the SQL engine (inside it).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from sqlalchemy import select

from application.ports.payments import GatewayEvent, RefundStatus
from application.use_cases.change_booking import ChangeBooking
from application.use_cases.create_booking import CreateBooking
from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.place_hold import PlaceHold
from application.use_cases.register_tenant import RegisterTenant
from domain.booking_changes import ChangeState
from domain.inventory import HoldStatus
from domain.listings import ListingKind
from infrastructure.container import build_container, close_container
from infrastructure.persistence.tables import pools
from infrastructure.settings import Settings
from tests.fakes.clock import FakeClock

PRICES = {"same": 1000, "old": 1000, "lower": 400, "higher": 2500}


class Crash(RuntimeError):
    """The process died here."""


class _Faulty:
    """Delegates to ``real``; the armed call raises ``Crash`` once, before or after it acts."""

    def __init__(self, real: Any) -> None:
        self.real, self.armed, self.after, self.fired = real, "", False, False

    def arm(self, name: str, after: bool) -> None:
        self.armed, self.after = name, after

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)
        if name != self.armed or not callable(method):
            return method

        async def faulty(*args: Any, **kwargs: Any) -> Any:
            self.armed, self.fired = "", True
            if not self.after:
                raise Crash(f"died before {name}")
            await method(*args, **kwargs)
            raise Crash(f"died after {name}")

        return faulty


@dataclass
class Stage:
    container: Any
    clock: FakeClock
    engine: _Faulty
    gateway: _Faulty
    tenant_id: UUID
    listing_id: UUID
    pools: dict[str, UUID]

    @property
    def uc(self) -> Any:
        return self.container.use_cases


@pytest.fixture(params=["memory", "sql"])
async def stage(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Stage]:
    shutil.copy(sqlite_template, tmp_path / "holdfast.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'holdfast.db'}"
    clock = FakeClock()
    container = build_container(Settings(database_url=url, inventory_engine=request.param, expiry_sweep_seconds=0))
    container.core.clock.override(providers.Object(clock))
    engine, gateway = _Faulty(container.gateways.inventory()), _Faulty(container.gateways.payments())
    container.gateways.inventory.override(providers.Object(engine))
    container.gateways.payments.override(providers.Object(gateway))
    uc = container.use_cases
    tenant = (await uc.register_tenant()(RegisterTenant("acme"))).tenant
    listing = await uc.create_listing()(CreateListing(tenant.id, ListingKind.FLIGHT, "HF 1"))
    made = {}
    for code, price in PRICES.items():
        made[code] = (await uc.create_pool()(CreatePool(tenant.id, listing.id, code, 1, price, "EUR"))).pool.id
    try:
        yield Stage(container, clock, engine, gateway, tenant.id, listing.id, made)
    finally:
        await close_container(container)


async def _paid_booking(stage: Stage) -> UUID:
    command = PlaceHold(stage.tenant_id, stage.listing_id, "cust", ((stage.pools["old"], 1),))
    hold = await stage.uc.place_hold()(command)
    booking = (await stage.uc.create_booking()(CreateBooking(stage.tenant_id, hold.id, "test"))).booking
    assert booking.payment is not None
    await _pay(stage, booking.payment.intent_id)
    return booking.id


async def _pay(stage: Stage, intent_id: str) -> None:
    await _deliver(stage, await _paid_events(stage, intent_id))


async def _paid_events(stage: Stage, intent_id: str) -> list[GatewayEvent]:
    """The customer pays; the gateway's webhooks, not delivered yet."""
    events = []
    for delivery in await stage.gateway.real.pay(intent_id, "succeeded"):
        body = json.loads(delivery.payload)
        created = datetime.fromtimestamp(body["created"], UTC)
        events.append(GatewayEvent(body["id"], body["type"], created, body["data"]["object"]))
    return events


async def _deliver(stage: Stage, events: list[GatewayEvent]) -> None:
    for event in events:
        await stage.uc.webhook_event_handler().handle(event)


async def _recover(stage: Stage) -> None:
    """What production does after a crash: the jobs' next rounds (past the resume grace)."""
    stage.clock.advance(31)
    await stage.uc.resume_booking_changes()()
    stage.clock.advance(3600)  # past the refund retry's grace, and past every hold's time
    await stage.uc.retry_refunds()()
    await stage.uc.expire_holds()()  # a hold that no change recorded expires by itself
    await stage.uc.resume_booking_changes()()


async def _assert_whole(stage: Stage, booking_id: UUID) -> Any:
    """Nothing lost, nothing sold twice, no money moved twice; the booking owns one set of units."""
    booking = await stage.uc.get_booking()(stage.tenant_id, booking_id)
    changes = await stage.uc.list_booking_changes()(booking_id)
    assert all(not change.is_open for change in changes), changes
    owned = await stage.engine.real.get_hold(booking.hold_id)
    assert owned is not None
    assert owned.status is HoldStatus.CONFIRMED
    counters = {c.pool_id: c for c in await stage.engine.real.snapshot(stage.listing_id)}
    sold = dict.fromkeys(stage.pools.values(), 0)
    for line in booking.lines:
        sold[line.pool_id] += line.quantity
    assert {pool_id: (c.held, c.sold) for pool_id, c in counters.items()} == {p: (0, s) for p, s in sold.items()}
    async with stage.container.gateways.database().engine.connect() as connection:
        rows = await connection.execute(select(pools.c.id, pools.c.sold).where(pools.c.listing_id == stage.listing_id))
        assert dict(rows.all()) == sold
    async with stage.container.gateways.uow() as uow:
        view = await uow.ledger.booking_view(stage.tenant_id, booking_id)
        balances = await uow.ledger.balances(stage.tenant_id)
    totals = view.totals()["EUR"]
    assert booking.payment is not None
    assert (totals.captured.amount, totals.refunded.amount) == (booking.payment.captured, booking.payment.refunded)
    assert sum(b.debits for b in balances) == sum(b.credits for b in balances)
    refunds = await stage.gateway.real.list_refunds(booking.payment.intent_id)
    assert sum(r.amount for r in refunds if r.status is RefundStatus.SUCCEEDED) == booking.payment.refunded
    return booking, changes


SWAP_AT_ONCE = [("place_hold", False), ("place_hold", True), ("confirm", True), ("cancel", False), ("cancel", True)]


@pytest.mark.parametrize(("step", "after"), [*SWAP_AT_ONCE, ("refund", False), ("refund", True)])
async def test_a_lower_total_change_interrupted_anywhere_ends_whole(stage: Stage, step: str, after: bool) -> None:
    booking_id = await _paid_booking(stage)
    (stage.gateway if step == "refund" else stage.engine).arm(step, after)

    with pytest.raises(Crash):
        await stage.uc.change_booking()(ChangeBooking(stage.tenant_id, booking_id, ((stage.pools["lower"], 1),), "t"))
    await _recover(stage)

    booking, changes = await _assert_whole(stage, booking_id)
    swapped = [c for c in changes if c.state is ChangeState.SWAPPED]
    if swapped:  # rolled forward: on the new units, the difference refunded once
        assert (booking.lines[0].pool_id, booking.payment.refunded) == (stage.pools["lower"], 600)
    else:  # undone (or never recorded): on the old units, nothing refunded
        assert (booking.lines[0].pool_id, booking.payment.refunded) == (stage.pools["old"], 0)
    # Interrupted once the engine had the new units, the change always goes through.
    assert bool(swapped) == (step in ("cancel", "refund") or (step, after) == ("confirm", True))


@pytest.mark.parametrize(("step", "after"), SWAP_AT_ONCE)
async def test_an_equal_total_change_interrupted_anywhere_ends_whole(stage: Stage, step: str, after: bool) -> None:
    booking_id = await _paid_booking(stage)
    stage.engine.arm(step, after)

    with pytest.raises(Crash):
        await stage.uc.change_booking()(ChangeBooking(stage.tenant_id, booking_id, ((stage.pools["same"], 1),), "t"))
    await _recover(stage)

    booking, _ = await _assert_whole(stage, booking_id)
    assert booking.payment.refunded == 0
    assert booking.lines[0].pool_id in (stage.pools["same"], stage.pools["old"])


@pytest.mark.parametrize(
    ("target", "step", "after"),
    [
        ("gateway", "create_intent", False),
        ("gateway", "create_intent", True),
        ("engine", "confirm", True),
        ("engine", "cancel", False),
        ("engine", "cancel", True),
    ],
)
async def test_a_higher_total_change_interrupted_anywhere_ends_whole(
    stage: Stage, target: str, step: str, after: bool
) -> None:
    booking_id = await _paid_booking(stage)
    change = ChangeBooking(stage.tenant_id, booking_id, ((stage.pools["higher"], 1),), "t")
    getattr(stage, target).arm(step, after)

    if step == "create_intent":
        with pytest.raises(Crash):
            await stage.uc.change_booking()(change)
    else:  # the crash comes while the paid difference's webhook is handled
        waiting = (await stage.uc.change_booking()(change)).change
        assert waiting.intent_id is not None
        events = await _paid_events(stage, waiting.intent_id)
        with pytest.raises(Crash):
            await _deliver(stage, events)
        await _deliver(stage, events)  # the inbox hands a failed event to the handler again
    await _recover(stage)

    booking, changes = await _assert_whole(stage, booking_id)
    assert getattr(stage, target).fired
    if step == "create_intent":  # no client ever had the difference to pay: undone
        assert [c.state for c in changes] == [ChangeState.FAILED]
        assert (booking.lines[0].pool_id, booking.payment.captured) == (stage.pools["old"], 1000)
    else:  # paid: rolled forward by the sweep, the difference captured once
        assert [c.state for c in changes] == [ChangeState.SWAPPED]
        assert (booking.lines[0].pool_id, booking.payment.captured) == (stage.pools["higher"], 2500)


async def test_the_next_change_of_the_booking_finishes_one_left_behind(stage: Stage) -> None:
    booking_id = await _paid_booking(stage)
    stage.engine.arm("cancel", True)
    with pytest.raises(Crash):
        await stage.uc.change_booking()(ChangeBooking(stage.tenant_id, booking_id, ((stage.pools["same"], 1),), "t"))
    stage.clock.advance(31)  # past the grace a request in flight gets

    done = await stage.uc.change_booking()(
        ChangeBooking(stage.tenant_id, booking_id, ((stage.pools["lower"], 1),), "t")
    )

    changes = await stage.uc.list_booking_changes()(booking_id)
    assert [c.state for c in changes] == [ChangeState.SWAPPED, ChangeState.SWAPPED]
    assert (done.change.old_lines[0].pool_id, done.change.state) == (stage.pools["same"], ChangeState.SWAPPED)
    booking, _ = await _assert_whole(stage, booking_id)
    assert (booking.lines[0].pool_id, booking.payment.refunded) == (stage.pools["lower"], 600)
