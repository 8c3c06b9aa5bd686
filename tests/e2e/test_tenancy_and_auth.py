"""API keys and tenant isolation: another tenant's objects are 404, never visible."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import World
from tests.e2e.helpers import availability, book, hold, make_listing


@pytest.mark.parametrize("key", [None, "", "hf_wrong", "x" * 500])
async def test_requests_without_a_valid_key_are_refused(world: World, key: str | None) -> None:
    headers = {} if key is None else {"X-API-Key": key}
    response = await world.client.get("/v1/listings", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_another_tenants_objects_are_not_found_and_untouched(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    booked_hold = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    booking_id = (await book(world, booked_hold))["id"]
    other = world.other

    attempts = [
        await other.get(f"/v1/listings/{listing_id}"),
        await other.get(f"/v1/listings/{listing_id}/availability"),
        await other.get(f"/v1/pools/{pools['a']}"),
        await other.patch(f"/v1/pools/{pools['a']}", {"capacity": 0}),
        await other.post(
            f"/v1/listings/{listing_id}/pools",
            {"code": "z", "capacity": 1, "unit_price": 1, "currency": "EUR"},
        ),
        await other.get(f"/v1/holds/{hold_id}"),
        await other.delete(f"/v1/holds/{hold_id}"),
        await hold(other, listing_id, {pools["a"]: 1}),
        await other.post("/v1/bookings", {"hold_id": hold_id}),
        await other.get(f"/v1/bookings/{booking_id}"),
        await other.post(f"/v1/bookings/{booking_id}/cancel"),
    ]

    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert all(r.json()["code"] == "not_found" for r in attempts)
    assert (await other.get("/v1/listings")).json()["items"] == []
    assert (await other.get("/v1/bookings")).json()["items"] == []
    assert await availability(world.api, listing_id) == {"a": (1, 1, 3)}
    assert (await world.api.get(f"/v1/holds/{hold_id}")).json()["status"] == "active"
    assert (await world.api.get(f"/v1/bookings/{booking_id}")).json()["status"] == "confirmed"
