"""Hundreds of customers race for the last unit: exactly one wins, and the counters stay exact."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import InsufficientInventoryError
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters
from tests.property.engine_machine import EngineFactory

RACERS = 500
TENANT = UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2030, 1, 1, tzinfo=UTC)

# Engines that can be raced from many connections at once. The memory engine is here as the
# control: if the test is wrong, it fails there too.
RACING_ENGINES = ["memory_factory", "sqlite_factory", "postgres_factory", "redis_factory"]


def hold_for(listing_id: UUID, pool_id: UUID, customer: str) -> Hold:
    return Hold(
        id=uuid4(),
        tenant_id=TENANT,
        listing_id=listing_id,
        customer_ref=customer,
        lines=(HoldLine(pool_id, 1, unit_price=2500),),
        currency="EUR",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=10),
    )


async def attempt(engine_hold: object) -> Hold | InsufficientInventoryError:
    try:
        return await engine_hold  # type: ignore[misc, no-any-return]
    except InsufficientInventoryError as exc:
        return exc


@pytest.mark.parametrize("factory_name", RACING_ENGINES)
async def test_last_unit_goes_to_exactly_one_of_500(factory_name: str, request: pytest.FixtureRequest) -> None:
    factory: EngineFactory = request.getfixturevalue(factory_name)
    handle = await factory()
    try:
        engine = handle.engine
        listing_id, pool_id = uuid4(), uuid4()
        await engine.add_pool(PoolCounters(pool_id, listing_id, capacity=3))
        for customer in ("early-1", "early-2"):
            await engine.place_hold(hold_for(listing_id, pool_id, customer), customer_limit=None)

        racers = [hold_for(listing_id, pool_id, f"racer-{n}") for n in range(RACERS)]
        outcomes = await asyncio.gather(*(attempt(engine.place_hold(h, None)) for h in racers))

        winners = [o for o in outcomes if isinstance(o, Hold)]
        losers = [o for o in outcomes if isinstance(o, InsufficientInventoryError)]
        assert len(winners) == 1
        assert len(losers) == RACERS - 1
        assert all(loser.short == {pool_id: 0} for loser in losers)
        assert winners[0].status is HoldStatus.ACTIVE
        [counters] = await engine.counters([pool_id])
        assert (counters.capacity, counters.held, counters.sold, counters.available) == (3, 3, 0, 0)
        stored = [await engine.get_hold(h.id) for h in racers]
        assert [h.id for h in stored if h is not None] == [winners[0].id]
    finally:
        await handle.aclose()


@pytest.mark.parametrize("factory_name", RACING_ENGINES)
async def test_pickers_and_named_holds_race_for_the_seats_of_a_cabin(
    factory_name: str, request: pytest.FixtureRequest
) -> None:
    """A cabin of 6 seats (capacity-1 pools) and its count pool: 150 holds of "the cabin and any
    seat" (a choice line) race 50 holds of "the cabin and this seat", each taking its seat and
    the cabin in pool order. Exactly 6 win, no seat twice, the cabin count equals the seats
    taken; on Postgres the pickers, skipping seats being written, never deadlock the others."""
    factory: EngineFactory = request.getfixturevalue(factory_name)
    handle = await factory()
    try:
        engine = handle.engine
        listing_id, cabin = uuid4(), uuid4()
        seats = [uuid4() for _ in range(6)]
        for pool_id, capacity in ((cabin, 6), *((seat, 1) for seat in seats)):
            await engine.add_pool(PoolCounters(pool_id, listing_id, capacity))
        choice = tuple(HoldLine(seat, 1, unit_price=100) for seat in seats)
        pickers = [hold_for(listing_id, cabin, f"picker-{n}") for n in range(150)]
        named = [
            replace(hold_for(listing_id, cabin, f"named-{n}"), lines=(HoldLine(seats[n % 6], 1), HoldLine(cabin, 1)))
            for n in range(50)
        ]
        calls = [engine.place_hold(h, None, choice=choice) for h in pickers]
        calls += [engine.place_hold(h, None) for h in named]
        outcomes = await asyncio.gather(*(attempt(call) for call in calls))

        winners = [o for o in outcomes if isinstance(o, Hold)]
        assert len(winners) == 6
        assert all(isinstance(o, InsufficientInventoryError) for o in outcomes if not isinstance(o, Hold))
        taken = sorted(line.pool_id for hold in winners for line in hold.lines if line.pool_id != cabin)
        assert taken == sorted(seats)
        counters = {c.pool_id: c for c in await engine.counters([cabin, *seats])}
        assert (counters[cabin].held, counters[cabin].available) == (6, 0)
        assert all((counters[seat].held, counters[seat].available) == (1, 0) for seat in seats)
    finally:
        await handle.aclose()
