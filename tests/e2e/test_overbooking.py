"""Controlled overbooking per pool (airline style), on both profiles: off by default; with an
allowance a pool sells up to capacity + allowance and refuses beyond; availability and
reconciliation report overbooked units apart (never as drift); a crowd racing for an
overbooked pool gets exactly the sellable units, and Postgres records them all."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import select

from infrastructure.persistence.tables import pools as pools_table
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing
from tests.e2e.test_reconciliation import RecordingQueue, add_to_engine, journal, reconcile

COUNTERS = ("capacity", "overbooking", "sellable", "held", "sold", "available", "overbooked")


async def put_overbooking(api: Api, pool_id: str, units: Any) -> Any:
    return await api.client.put(
        f"/v1/pools/{pool_id}/overbooking", json={"units": units}, headers={"X-API-Key": api.key}
    )


async def pool_with_allowance(api: Api, capacity: int, overbooking: int) -> tuple[str, str]:
    listing = await api.post("/v1/listings", {"kind": "flight", "name": "HF 12"})
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    body = {"code": "economy", "capacity": capacity, "unit_price": 0, "currency": "EUR", "overbooking": overbooking}
    created = await api.post(f"/v1/listings/{listing_id}/pools", body)
    assert created.status_code == 201, created.text
    return listing_id, created.json()["id"]


async def counters(api: Api, listing_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/listings/{listing_id}/availability")
    assert response.status_code == 200, response.text
    [pool] = response.json()["pools"]
    return {
        key: pool[key] for key in ("capacity", "overbooking", "sellable", "held", "sold", "available", "overbooked")
    }


def shape(capacity: int, overbooking: int, held: int, sold: int) -> dict[str, int]:
    sellable = capacity + overbooking
    return {
        "capacity": capacity,
        "overbooking": overbooking,
        "sellable": sellable,
        "held": held,
        "sold": sold,
        "available": sellable - held - sold,
        "overbooked": max(0, held + sold - capacity),
    }


@pytest.fixture
def queue(world: World) -> RecordingQueue:
    recorder = RecordingQueue()
    world.container.gateways.jobs.override(providers.Object(recorder))
    return recorder


async def test_overbooking_is_off_by_default_and_capacity_is_the_limit(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 3, 0),))
    shown = (await world.api.get(f"/v1/pools/{pools['a']}")).json()
    assert "overbooking" not in shown  # 0 (off) is left out of a pool
    assert shown["counters"]["sellable"] == 3
    assert (await hold(world.api, listing_id, {pools["a"]: 3})).status_code == 201

    refused = await hold(world.api, listing_id, {pools["a"]: 1}, customer="late")

    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_inventory"
    assert await counters(world.api, listing_id) == shape(3, 0, held=3, sold=0)


async def test_an_allowance_sells_beyond_capacity_and_refuses_beyond_it(world: World) -> None:
    listing_id, pool = await pool_with_allowance(world.api, capacity=10, overbooking=2)
    booked = await hold(world.api, listing_id, {pool: 10}, customer="group")
    assert (await book(world, booked.json()["id"]))["status"] == "confirmed"
    assert (await hold(world.api, listing_id, {pool: 2}, customer="late")).status_code == 201

    refused = await hold(world.api, listing_id, {pool: 1}, customer="later")

    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_inventory"
    assert refused.json()["pools"] == [{"pool_id": pool, "available": 0}]
    assert await counters(world.api, listing_id) == shape(10, 2, held=2, sold=10)


async def test_the_allowance_is_set_bounded_and_never_taken_back_once_sold(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 4, 0),))
    pool = pools["a"]

    raised = await put_overbooking(world.api, pool, 2)
    assert raised.status_code == 200, raised.text
    assert (raised.json()["overbooking"], raised.json()["counters"]["sellable"]) == (2, 6)
    assert (await hold(world.api, listing_id, {pool: 6})).status_code == 201

    below_committed = await put_overbooking(world.api, pool, 1)
    too_many = await put_overbooking(world.api, pool, 3)  # more than half of 4
    not_a_count = await put_overbooking(world.api, pool, -1)
    theirs = await put_overbooking(world.other, pool, 0)
    resized_too_small = await world.api.patch(f"/v1/pools/{pool}", {"capacity": 3})

    assert (below_committed.status_code, below_committed.json()["code"]) == (409, "capacity_below_committed")
    assert (too_many.status_code, too_many.json()["code"]) == (400, "validation_failed")
    assert (not_a_count.status_code, not_a_count.json()["code"]) == (400, "validation_failed")
    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")
    assert (resized_too_small.status_code, resized_too_small.json()["errors"][0]["field"]) == (400, "capacity")
    assert await counters(world.api, listing_id) == shape(4, 2, held=6, sold=0)  # nothing changed

    resized = await world.api.patch(f"/v1/pools/{pool}", {"capacity": 8})
    assert resized.status_code == 200, resized.text
    assert await counters(world.api, listing_id) == shape(8, 2, held=6, sold=0)  # the allowance stays
    assert (await put_overbooking(world.api, pool, 0)).status_code == 200
    assert await counters(world.api, listing_id) == shape(8, 0, held=6, sold=0)


async def test_reconciliation_reports_overbooked_pools_apart_from_drift(
    world: World, operator: Api, queue: RecordingQueue
) -> None:
    listing_id, pool = await pool_with_allowance(world.api, capacity=4, overbooking=2)
    sold = await hold(world.api, listing_id, {pool: 3}, customer="c1")
    await book(world, sold.json()["id"])
    assert (await hold(world.api, listing_id, {pool: 2}, customer="c2")).status_code == 201
    await journal(world)

    clean = await reconcile(world, operator, queue)

    overbooked = {
        "subject": f"pool:{pool}",
        "field": "overbooked",
        "expected": 4,
        "actual": 5,
        "difference": -1,
        "kind": "overbooked",
        "repaired": False,
    }
    assert [{key: f[key] for key in overbooked} for f in clean["findings"]] == [overbooked]
    assert (clean["drift"], clean["overbooked"]) == (0, 1)

    await add_to_engine(world, listing_id, pool, "held", 1)
    found = await reconcile(world, operator, queue, listing_id=listing_id)
    assert [(f["field"], f["kind"]) for f in found["findings"]] == [("held", "drift"), ("overbooked", "overbooked")]
    assert (found["drift"], found["overbooked"]) == (1, 1)

    repaired = await reconcile(world, operator, queue, listing_id=listing_id, repair=True)
    assert [(f["field"], f["repaired"]) for f in repaired["findings"]] == [("held", True), ("overbooked", False)]
    assert (repaired["drift"], repaired["overbooked"]) == (0, 1)
    assert await counters(world.api, listing_id) == shape(4, 2, held=2, sold=3)


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_losing_redis_rebuilds_an_overbooked_pool_with_its_allowance(
    world: World, operator: Api, queue: RecordingQueue
) -> None:
    listing_id, pool = await pool_with_allowance(world.api, capacity=4, overbooking=2)
    booked = await hold(world.api, listing_id, {pool: 5})
    await book(world, booked.json()["id"])
    await world.container.gateways.redis().flushdb()

    report = await reconcile(world, operator, queue, repair=True)

    assert (report["status"], report["drift"], report["overbooked"]) == ("succeeded", 0, 1)
    assert await counters(world.api, listing_id) == shape(4, 2, held=0, sold=5)
    assert (await hold(world.api, listing_id, {pool: 1}, customer="last")).status_code == 201
    assert (await hold(world.api, listing_id, {pool: 1}, customer="one too many")).status_code == 409


async def test_a_crowd_racing_for_an_overbooked_pool_gets_exactly_the_sellable_units(world: World) -> None:
    """40 customers at once for 10 seats + 5 overbooked (on production: the Redis engine decides,
    then 15 bookings race to record their units in Postgres, whose CHECK now allows capacity +
    overbooking): exactly 15 win, every other gets the 409 of a sold-out pool."""
    listing_id, pool = await pool_with_allowance(world.api, capacity=10, overbooking=5)

    holds = await asyncio.gather(*(hold(world.api, listing_id, {pool: 1}, customer=f"c{n}") for n in range(40)))

    assert Counter(response.status_code for response in holds) == {201: 15, 409: 25}
    assert {r.json()["code"] for r in holds if r.status_code == 409} == {"insufficient_inventory"}
    winners = [response.json()["id"] for response in holds if response.status_code == 201]
    bookings = await asyncio.gather(*(world.api.post("/v1/bookings", {"hold_id": hold_id}) for hold_id in winners))
    assert [response.json()["status"] for response in bookings] == ["confirmed"] * 15
    assert await counters(world.api, listing_id) == shape(10, 5, held=0, sold=15)
    async with world.container.gateways.database().reading() as session:
        recorded = (await session.execute(select(pools_table.c.sold).where(pools_table.c.code == "economy"))).scalar()
    assert recorded == 15
