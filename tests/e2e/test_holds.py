"""Holds through the API: all or nothing, limits, expiry, release, safe retries."""

from __future__ import annotations

import asyncio
from collections import Counter
from uuid import uuid4

from tests.e2e.conftest import World
from tests.e2e.helpers import availability, hold, make_listing


async def test_place_a_hold_over_several_pools(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 1000), ("b", 4, 2500)))

    response = await hold(world.api, listing_id, {pools["a"]: 2, pools["b"]: 1}, ttl_seconds=120)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "active"
    assert body["total_price"] == {"amount": 4500, "currency": "EUR"}
    assert body["expires_at"] == "2030-01-01T12:02:00Z"
    fetched = await world.api.get(f"/v1/holds/{body['id']}")
    assert fetched.json() == body


async def test_not_enough_units_names_the_short_pools_and_holds_nothing(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 1000), ("b", 1, 2500), ("c", 0, 100)))

    response = await hold(world.api, listing_id, {pools["a"]: 2, pools["b"]: 2, pools["c"]: 1})

    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "insufficient_inventory"
    assert {(p["pool_id"], p["available"]) for p in problem["pools"]} == {(pools["b"], 1), (pools["c"], 0)}
    assert await availability(world.api, listing_id) == {"a": (0, 0, 10), "b": (0, 0, 1), "c": (0, 0, 0)}


async def test_per_customer_limit(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 1000),), per_customer_limit=4)
    assert (await hold(world.api, listing_id, {pools["a"]: 3}, customer="ann")).status_code == 201

    over = await hold(world.api, listing_id, {pools["a"]: 2}, customer="ann")

    assert over.status_code == 409
    assert over.json()["code"] == "customer_limit_exceeded"
    assert over.json()["limit"] == 4
    assert (await hold(world.api, listing_id, {pools["a"]: 2}, customer="bob")).status_code == 201
    assert await availability(world.api, listing_id) == {"a": (5, 0, 5)}


async def test_retrying_with_the_same_id_returns_the_same_hold(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 3, 1000),))
    hold_id = str(uuid4())

    first = await hold(world.api, listing_id, {pools["a"]: 2}, id=hold_id)
    again = await hold(world.api, listing_id, {pools["a"]: 2}, id=hold_id)
    different = await hold(world.api, listing_id, {pools["a"]: 1}, id=hold_id)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert different.status_code == 409
    assert different.json()["code"] == "hold_id_conflict"
    assert await availability(world.api, listing_id) == {"a": (2, 0, 1)}


async def test_release_returns_units_and_is_idempotent(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 3, 1000),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 2})).json()["id"]

    first = await world.api.delete(f"/v1/holds/{hold_id}")
    second = await world.api.delete(f"/v1/holds/{hold_id}")

    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == second.json()["status"] == "released"
    assert await availability(world.api, listing_id) == {"a": (0, 0, 3)}


async def test_an_expired_hold_returns_its_units_once_and_cannot_be_booked(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 3, 1000),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 3}, ttl_seconds=60)).json()["id"]
    world.clock.advance(61)

    shown = await world.api.get(f"/v1/holds/{hold_id}")
    booked = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    expired = await world.container.use_cases.expire_holds()()
    again = await world.container.use_cases.expire_holds()()

    assert shown.json()["status"] == "expired"
    assert booked.status_code == 409
    assert booked.json()["code"] == "hold_expired"
    assert [str(h.id) for h in expired] == [hold_id]
    assert again == []
    assert await availability(world.api, listing_id) == {"a": (0, 0, 3)}


async def test_due_holds_are_expired_before_a_new_hold_is_refused(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 1000),))
    assert (await hold(world.api, listing_id, {pools["a"]: 1}, ttl_seconds=30)).status_code == 201
    assert (await hold(world.api, listing_id, {pools["a"]: 1}, customer="b")).status_code == 409
    world.clock.advance(30)

    later = await hold(world.api, listing_id, {pools["a"]: 1}, customer="b")

    assert later.status_code == 201
    assert await availability(world.api, listing_id) == {"a": (1, 0, 0)}


async def test_a_hold_cannot_outlive_its_listing_ttl(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 1000),), hold_ttl_seconds=300)
    too_long = await hold(world.api, listing_id, {pools["a"]: 1}, ttl_seconds=301)
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "ttl_seconds"
    assert await availability(world.api, listing_id) == {"a": (0, 0, 1)}


async def test_a_crowd_for_a_few_units_gets_exactly_the_capacity(world: World) -> None:
    """30 requests at once for 4 units (on SQLite they share writer transactions): exactly 4
    holds, every other answer the 409 of a sold-out pool, and the counters agree."""
    listing_id, pools = await make_listing(world.api, (("a", 4, 1000),))

    responses = await asyncio.gather(
        *(hold(world.api, listing_id, {pools["a"]: 1}, customer=f"c{n}") for n in range(30))
    )

    assert Counter(response.status_code for response in responses) == {201: 4, 409: 26}
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "insufficient_inventory"
            assert [(p["pool_id"], p["available"]) for p in response.json()["pools"]] == [(pools["a"], 0)]
    assert await availability(world.api, listing_id) == {"a": (4, 0, 0)}
