"""PATCH and archive for listings and pools, on both profiles and both hold paths: the hot path
(``POST /v1/holds`` with JSON) and the Litestar route (the same request with an
``Idempotency-Key``, which the hot path hands on)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing

ROUTES = ["hot_path", "route"]


async def _hold(api: Api, listing: str, lines: dict[str, int], way: str, customer: str = "c1") -> Any:
    headers = {"Idempotency-Key": uuid4().hex} if way == "route" else {}
    body = {
        "listing_id": listing,
        "customer_ref": customer,
        "lines": [{"pool_id": pool, "quantity": quantity} for pool, quantity in lines.items()],
    }
    return await api.post("/v1/holds", body, headers=headers)


async def _audit(api: Api, action: str) -> list[dict[str, Any]]:
    response = await api.get("/v1/admin/audit-logs", params={"action": action})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_patch_changes_the_given_fields_only_and_records_them(world: World) -> None:
    listing, _pools = await make_listing(world.api, per_customer_limit=4)
    body = {
        "name": "The Show, extended",
        "starts_at": "2027-06-01T20:00:00Z",
        "hold_ttl_seconds": 120,
        "cancellation_policy": {"full_refund_hours": 24, "late_refund_percent": 10},
        "details": {"venue": "Teatro Tivoli"},
    }
    changed = await world.api.patch(f"/v1/listings/{listing}", body)
    assert changed.status_code == 200, changed.text
    shown = (await world.api.get(f"/v1/listings/{listing}")).json()
    assert shown["name"] == "The Show, extended"
    assert shown["starts_at"] == "2027-06-01T20:00:00Z"
    assert shown["hold_ttl_seconds"] == 120
    assert shown["per_customer_limit"] == 4  # left out: kept
    assert shown["cancellation_policy"] == {"full_refund_hours": 24, "late_refund_percent": 10}
    assert shown["details"] == {"venue": "Teatro Tivoli", "performances": []}
    cleared = await world.api.patch(f"/v1/listings/{listing}", {"per_customer_limit": None})
    assert cleared.json()["per_customer_limit"] is None
    same = await world.api.patch(f"/v1/listings/{listing}", {"name": "The Show, extended"})  # no change: no row
    assert same.status_code == 200, same.text
    rows = await _audit(world.api, "listing.change")
    assert len(rows) == 2
    first = next(row for row in rows if "hold_ttl_seconds" in (row["after"] or {}))
    assert first["before"]["hold_ttl_seconds"] == 600
    assert first["after"]["hold_ttl_seconds"] == 120
    assert "per_customer_limit" not in first["after"]  # unchanged fields are not recorded


async def test_the_new_hold_ttl_and_limit_govern_holds_placed_after(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 1000),))
    await world.api.patch(f"/v1/listings/{listing}", {"hold_ttl_seconds": 60, "per_customer_limit": 2})
    too_many = await hold(world.api, listing, {pools["a"]: 3})
    placed = await hold(world.api, listing, {pools["a"]: 2})
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "customer_limit_exceeded"
    assert placed.status_code == 201, placed.text
    lasts = datetime.fromisoformat(placed.json()["expires_at"]) - datetime.fromisoformat(placed.json()["created_at"])
    assert lasts == timedelta(seconds=60)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"hold_ttl_seconds": 0},
        {"details": {"origin": "LIS"}},  # a flight's field on a show
        {"name": "ok", "details": {"venue": "v", "performances": [{"code": "x", "name": "x"}]}},
        {"kind": "flight"},
    ],
)
async def test_a_bad_patch_is_a_400_and_changes_nothing(world: World, body: dict[str, Any]) -> None:
    listing, _pools = await make_listing(world.api)
    before = (await world.api.get(f"/v1/listings/{listing}")).json()
    response = await world.api.patch(f"/v1/listings/{listing}", body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"
    assert (await world.api.get(f"/v1/listings/{listing}")).json() == before
    assert await _audit(world.api, "listing.change") == []


@pytest.mark.parametrize("way", ROUTES)
async def test_an_archived_listing_refuses_new_holds_keeps_its_bookings_and_leaves_the_list(
    world: World, way: str
) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 0),))
    kept = await hold(world.api, listing, {pools["a"]: 1})
    booked = await book(world, (await hold(world.api, listing, {pools["a"]: 1}, customer="c2")).json()["id"])
    archived = await world.api.post(f"/v1/listings/{listing}/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    refused = await _hold(world.api, listing, {pools["a"]: 1}, way)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "listing_archived"
    assert (await world.api.get("/v1/listings")).json()["items"] == []
    only_archived = (await world.api.get("/v1/listings", params={"archived": "true"})).json()["items"]
    assert [item["id"] for item in only_archived] == [listing]
    # What it sold and what is held stay: the hold may still be booked.
    assert (await world.api.get(f"/v1/bookings/{booked['id']}")).json()["status"] == "confirmed"
    assert (await book(world, kept.json()["id"]))["status"] == "confirmed"
    again = await world.api.post(f"/v1/listings/{listing}/archive")  # no change, no second row
    assert again.json()["archived_at"] == archived.json()["archived_at"]
    assert len(await _audit(world.api, "listing.archive")) == 1
    reopened = await world.api.post(f"/v1/listings/{listing}/unarchive")
    assert reopened.status_code == 200
    assert "archived_at" not in reopened.json()
    assert (await _hold(world.api, listing, {pools["a"]: 1}, way, customer="c3")).status_code == 201
    assert len(await _audit(world.api, "listing.unarchive")) == 1


@pytest.mark.parametrize("way", ROUTES)
async def test_a_new_price_applies_to_holds_placed_after_and_old_holds_keep_theirs(world: World, way: str) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 1000),))
    before = await _hold(world.api, listing, {pools["a"]: 2}, way)
    changed = await world.api.patch(f"/v1/pools/{pools['a']}", {"unit_price": 1500, "name": "Stalls"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["unit_price"] == {"amount": 1500, "currency": "EUR"}
    assert changed.json()["name"] == "Stalls"
    after = await _hold(world.api, listing, {pools["a"]: 1}, way, customer="c2")
    assert [line["unit_price"] for line in before.json()["lines"]] == [1000]
    assert [line["unit_price"] for line in after.json()["lines"]] == [1500]
    kept = await world.api.get(f"/v1/holds/{before.json()['id']}")
    assert [line["unit_price"] for line in kept.json()["lines"]] == [1000]
    booking = await world.api.post("/v1/bookings", {"hold_id": before.json()["id"]})
    assert booking.json()["total"]["amount"] == 2000, booking.text
    rows = await _audit(world.api, "pool.change")  # the price and the name: not capacity alone
    assert [(row["before"]["unit_price"], row["after"]["unit_price"]) for row in rows] == [(1000, 1500)]


@pytest.mark.parametrize("way", ROUTES)
async def test_an_archived_pool_refuses_new_holds_while_the_listing_sells_its_other_pools(
    world: World, way: str
) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 1000), ("b", 10, 1000)))
    held = await hold(world.api, listing, {pools["a"]: 1})
    archived = await world.api.post(f"/v1/pools/{pools['a']}/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    assert archived.json()["counters"]["held"] == 1  # its held units stay
    refused = await _hold(world.api, listing, {pools["a"]: 1, pools["b"]: 1}, way)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "pool_archived"
    assert (await _hold(world.api, listing, {pools["b"]: 1}, way)).status_code == 201
    assert (await world.api.post("/v1/bookings", {"hold_id": held.json()["id"]})).status_code == 201
    assert (await world.api.post(f"/v1/pools/{pools['a']}/unarchive")).status_code == 200
    assert [len(await _audit(world.api, action)) for action in ("pool.archive", "pool.unarchive")] == [1, 1]
    assert (await _hold(world.api, listing, {pools["a"]: 1}, way, customer="c9")).status_code == 201


async def test_a_bad_pool_patch_is_a_400_and_changes_nothing(world: World) -> None:
    _listing, pools = await make_listing(world.api, (("a", 10, 1000),))
    before = (await world.api.get(f"/v1/pools/{pools['a']}")).json()
    for body in ({}, {"unit_price": -1}, {"currency": "USD"}, {"name": "x\u0000"}):
        response = await world.api.patch(f"/v1/pools/{pools['a']}", body)
        assert response.status_code == 400, (body, response.text)
    assert (await world.api.get(f"/v1/pools/{pools['a']}")).json() == before


async def test_another_tenants_listing_and_pool_are_not_found(world: World) -> None:
    listing, pools = await make_listing(world.api)
    for path in (f"/v1/listings/{listing}/archive", f"/v1/pools/{pools['a']}/archive"):
        assert (await world.other.post(path)).status_code == 404
    assert (await world.other.patch(f"/v1/listings/{listing}", {"name": "mine"})).status_code == 404
    assert (await world.other.patch(f"/v1/pools/{pools['a']}", {"unit_price": 1})).status_code == 404
    assert "archived_at" not in (await world.api.get(f"/v1/listings/{listing}")).json()
