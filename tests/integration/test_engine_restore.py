"""``InventoryEngine.restore`` on every engine: rebuilding a listing the engine lost (or never
had) from what the system of record says. The conformance suite drives restore on live state;
this shows the rebuild from nothing, as after losing Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.ports.inventory import InventoryEngine
from domain.errors import CapacityBelowCommittedError, CustomerLimitExceededError, InsufficientInventoryError
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters
from tests.property.engine_machine import EngineFactory

NOW = datetime(2030, 1, 1, tzinfo=UTC)
LISTING, POOL = uuid4(), uuid4()


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[InventoryEngine]:
    factory: EngineFactory = request.getfixturevalue(f"{request.param}_factory")
    handle = await factory()
    try:
        yield handle.engine
    finally:
        await handle.aclose()


def a_hold(customer: str, quantity: int, status: HoldStatus = HoldStatus.ACTIVE, ttl: int = 60) -> Hold:
    lines = (HoldLine(POOL, quantity, unit_price=100),)
    return Hold(uuid4(), uuid4(), LISTING, customer, lines, "EUR", NOW, NOW + timedelta(seconds=ttl), status)


async def test_a_listing_is_rebuilt_from_nothing(engine: InventoryEngine) -> None:
    active, sold = a_hold("ann", 2), a_hold("ann", 3, HoldStatus.CONFIRMED)
    await engine.restore(LISTING, [PoolCounters(POOL, LISTING, 10, held=2, sold=3)], [active, sold], NOW)

    assert await engine.snapshot(LISTING) == [PoolCounters(POOL, LISTING, 10, 2, 3)]
    assert await engine.get_hold(active.id) == active
    assert await engine.get_hold(sold.id) == sold
    with pytest.raises(CustomerLimitExceededError):  # ann's 5 units count against her limit
        await engine.place_hold(a_hold("ann", 1), customer_limit=5)
    with pytest.raises(InsufficientInventoryError):
        await engine.place_hold(a_hold("bob", 6), None)
    await engine.place_hold(a_hold("bob", 5), None)

    await engine.cancel(sold.id)  # a restored confirmed hold can be cancelled
    await engine.confirm(active.id, NOW)  # and a restored active one confirmed
    assert await engine.snapshot(LISTING) == [PoolCounters(POOL, LISTING, 10, 5, 2)]


async def test_holds_left_out_count_as_expired(engine: InventoryEngine) -> None:
    await engine.add_pool(PoolCounters(POOL, LISTING, 10))
    lost, kept = await engine.place_hold(a_hold("ann", 4), None), await engine.place_hold(a_hold("bob", 1), None)

    await engine.restore(LISTING, [PoolCounters(POOL, LISTING, 10, held=1)], [kept], NOW)
    assert (await engine.get_hold(lost.id)).status is HoldStatus.EXPIRED  # type: ignore[union-attr]
    assert await engine.expire_due(NOW + timedelta(hours=1)) == [kept.moved_to(HoldStatus.EXPIRED)]
    assert await engine.snapshot(LISTING) == [PoolCounters(POOL, LISTING, 10, 0, 0)]


async def test_counters_over_capacity_are_refused_and_change_nothing(engine: InventoryEngine) -> None:
    await engine.add_pool(PoolCounters(POOL, LISTING, 3))
    with pytest.raises(CapacityBelowCommittedError):
        await engine.restore(LISTING, [PoolCounters(POOL, LISTING, 3, held=2, sold=2)], [], NOW)
    assert await engine.snapshot(LISTING) == [PoolCounters(POOL, LISTING, 3, 0, 0)]


async def test_rebuild_lost_leaves_a_listing_the_engine_counts_exactly_as_it_is(engine: InventoryEngine) -> None:
    """On every engine: the automatic rebuild never overwrites live counters or loses a hold."""
    await engine.add_pool(PoolCounters(POOL, LISTING, 10))
    unjournaled = await engine.place_hold(a_hold("ann", 4), None)

    assert not await engine.rebuild_lost(LISTING, [PoolCounters(POOL, LISTING, 10)], [], NOW)
    assert await engine.snapshot(LISTING) == [PoolCounters(POOL, LISTING, 10, 4, 0)]
    assert await engine.get_hold(unjournaled.id) == unjournaled
