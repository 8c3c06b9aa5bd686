"""Listings and pools through the API: create, list, get, resize, availability."""

from __future__ import annotations

from tests.e2e.conftest import World
from tests.e2e.helpers import availability, book, hold, make_listing


async def test_create_and_read_a_listing_with_pools(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("zone-a", 500, 8900), ("zone-b", 300, 5900)))

    response = await world.api.get(f"/v1/listings/{listing_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "event_show"
    assert body["hold_ttl_seconds"] == 600
    # Oldest first; these two were made at the same (fake) instant, so their order is the ids'.
    assert sorted((p["code"], p["capacity"], p["unit_price"]) for p in body["pools"]) == [
        ("zone-a", 500, {"amount": 8900, "currency": "EUR"}),
        ("zone-b", 300, {"amount": 5900, "currency": "EUR"}),
    ]
    listed = await world.api.get(f"/v1/listings/{listing_id}/pools")
    assert {p["id"] for p in listed.json()["items"]} == set(pools.values())
    assert listed.json()["next_cursor"] is None


async def test_listings_are_paginated_with_a_cursor(world: World) -> None:
    created = [(await make_listing(world.api, name=f"Show {n}"))[0] for n in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.api.get("/v1/listings", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
    assert pages == 3


async def test_availability_follows_holds_and_bookings(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 1000), ("b", 4, 2000)))
    assert await availability(world.api, listing_id) == {"a": (0, 0, 10), "b": (0, 0, 4)}

    placed = await hold(world.api, listing_id, {pools["a"]: 3, pools["b"]: 1})
    assert await availability(world.api, listing_id) == {"a": (3, 0, 7), "b": (1, 0, 3)}

    assert (await book(world, placed.json()["id"]))["status"] == "confirmed"
    assert await availability(world.api, listing_id) == {"a": (0, 3, 7), "b": (0, 1, 3)}


async def test_resize_grows_and_refuses_to_shrink_below_committed(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    await hold(world.api, listing_id, {pools["a"]: 4})

    grown = await world.api.patch(f"/v1/pools/{pools['a']}", {"capacity": 8})
    assert grown.status_code == 200
    assert grown.json()["counters"] == {
        "pool_id": pools["a"],
        "code": "a",
        "capacity": 8,
        "held": 4,
        "sold": 0,
        "available": 4,
        "overbooking": 0,
        "sellable": 8,
        "overbooked": 0,
    }

    refused = await world.api.patch(f"/v1/pools/{pools['a']}", {"capacity": 3})
    assert refused.status_code == 409
    assert refused.json()["code"] == "capacity_below_committed"
    shown = (await world.api.get(f"/v1/pools/{pools['a']}")).json()
    assert shown["capacity"] == 8
    assert shown["counters"]["capacity"] == 8


async def test_pool_codes_are_unique_within_a_listing(world: World) -> None:
    listing_id, _ = await make_listing(world.api, (("a", 5, 1000),))
    again = await world.api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "a", "capacity": 1, "unit_price": 1, "currency": "EUR"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_exists"
    assert len((await world.api.get(f"/v1/listings/{listing_id}/pools")).json()["items"]) == 1


async def test_a_listing_prices_in_one_currency(world: World) -> None:
    listing_id, _ = await make_listing(world.api, (("a", 5, 1000),))
    usd = await world.api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "b", "capacity": 1, "unit_price": 1, "currency": "USD"}
    )
    assert usd.status_code == 400
    assert usd.json()["code"] == "validation_failed"


async def test_a_night_pool_says_which_night_it_sells(world: World) -> None:
    listing_id, _ = await make_listing(world.api, (("a", 5, 1000),))
    body = {"code": "double-2027-03-04", "capacity": 6, "unit_price": 12000, "currency": "EUR", "night": "2027-03-04"}
    made = await world.api.post(f"/v1/listings/{listing_id}/pools", body)
    assert made.status_code == 201, made.text
    assert made.json()["night"] == "2027-03-04"
    read = await world.api.get(f"/v1/pools/{made.json()['id']}")
    assert read.json()["night"] == "2027-03-04"
    zone = (await world.api.get(f"/v1/listings/{listing_id}/pools")).json()["items"]
    assert [pool.get("night") for pool in zone if pool["code"] == "a"] == [None]
    bad = await world.api.post(f"/v1/listings/{listing_id}/pools", {**body, "code": "x", "night": "2027-02-30"})
    assert bad.status_code == 400
