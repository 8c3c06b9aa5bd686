"""Bookings through the API: confirm a hold, read, list, filter, cancel."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import World
from tests.e2e.helpers import availability, book, hold, make_listing


async def _booked(world: World, listing_id: str, pool: str, qty: int = 1, customer: str = "c") -> dict:  # type: ignore[type-arg]
    """A booked and paid hold."""
    hold_id = (await hold(world.api, listing_id, {pool: qty}, customer=customer)).json()["id"]
    booking = await book(world, hold_id)
    assert booking["status"] == "confirmed", booking
    return booking


async def test_booking_a_free_hold_confirms_it_at_once_and_once(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 2})).json()["id"]

    first = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    again = await world.api.post("/v1/bookings", {"hold_id": hold_id})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    booking = first.json()
    assert booking["status"] == "confirmed"
    assert booking["total"] == {"amount": 0, "currency": "EUR"}
    assert booking["payment"] is None
    assert [(t["from_status"], t["to_status"]) for t in booking["history"]] == [(None, "confirmed")]
    assert (await world.api.get(f"/v1/holds/{hold_id}")).json()["status"] == "confirmed"
    assert (await world.api.get(f"/v1/bookings/{booking['id']}")).json() == booking
    assert await availability(world.api, listing_id) == {"a": (0, 2, 3)}


async def test_cancelling_returns_units_and_cannot_happen_twice(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 2, 1000),))
    booking = await _booked(world, listing_id, pools["a"], qty=2)

    cancelled = await world.api.post(f"/v1/bookings/{booking['id']}/cancel", {"reason": "changed plans"})
    twice = await world.api.post(f"/v1/bookings/{booking['id']}/cancel")

    assert cancelled.status_code == 200
    body = cancelled.json()
    # No start date: the policy refunds in full, so the cancelled booking is refunded.
    assert [t["to_status"] for t in body["history"]][-1] == "cancelled"
    assert (body["status"], body["payment_status"]) == ("cancelled", "refunded")
    assert body["payment"]["refunded"] == body["payment"]["captured"] == 2000
    assert body["history"][-1]["reason"] == "changed plans"
    assert twice.status_code == 409
    assert twice.json()["code"] == "invalid_transition"
    assert await availability(world.api, listing_id) == {"a": (0, 0, 2)}
    assert (await hold(world.api, listing_id, {pools["a"]: 2})).status_code == 201


async def test_a_released_hold_cannot_be_booked(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 2, 1000),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    await world.api.delete(f"/v1/holds/{hold_id}")

    response = await world.api.post("/v1/bookings", {"hold_id": hold_id})

    assert response.status_code == 409
    assert response.json()["code"] == "hold_not_active"
    assert (await world.api.get("/v1/bookings")).json()["items"] == []


async def test_list_filters_and_paginates(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 1000),))
    other_listing, other_pools = await make_listing(world.api, (("x", 10, 1000),))
    made = [await _booked(world, listing_id, pools["a"], customer=f"c{n}") for n in range(3)]
    await _booked(world, other_listing, other_pools["x"])
    await world.api.post(f"/v1/bookings/{made[0]['id']}/cancel")

    by_listing = (await world.api.get("/v1/bookings", params={"listing_id": listing_id})).json()
    confirmed = (await world.api.get("/v1/bookings", params={"status": "confirmed", "limit": 1})).json()
    by_customer = (await world.api.get("/v1/bookings", params={"customer_ref": "c2"})).json()

    assert {b["id"] for b in by_listing["items"]} == {b["id"] for b in made}
    assert len(confirmed["items"]) == 1
    assert confirmed["next_cursor"] is not None
    rest = (
        await world.api.get("/v1/bookings", params={"status": "confirmed", "cursor": confirmed["next_cursor"]})
    ).json()
    assert len(rest["items"]) == 2
    assert all(b["status"] == "confirmed" for b in confirmed["items"] + rest["items"])
    assert [b["id"] for b in by_customer["items"]] == [made[2]["id"]]


async def test_racing_bookings_of_one_hold_make_one_booking(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 2})).json()["id"]

    responses = await asyncio.gather(*(world.api.post("/v1/bookings", {"hold_id": hold_id}) for _ in range(20)))

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len((await world.api.get("/v1/bookings")).json()["items"]) == 1
    assert await availability(world.api, listing_id) == {"a": (0, 2, 3)}
