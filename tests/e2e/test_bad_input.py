"""Bad input: a clear 4xx problem+json with a stable code, and nothing changes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.conftest import World
from tests.e2e.helpers import availability, make_listing

HUGE = 10**30


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["detail"]
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return body


BAD_HOLDS = [
    pytest.param({"extra": 1}, id="unknown field"),
    pytest.param({"quantity": -1}, id="negative quantity"),
    pytest.param({"quantity": 0}, id="zero quantity"),
    pytest.param({"quantity": HUGE}, id="huge quantity"),
    pytest.param({"quantity": "2"}, id="quantity as text"),
    pytest.param({"quantity": 1.5}, id="fractional quantity"),
    pytest.param({"pool_id": "not-a-uuid"}, id="malformed pool id"),
    pytest.param({"status": "confirmed"}, id="server-owned field"),
]


@pytest.mark.parametrize("change", BAD_HOLDS)
async def test_bad_hold_lines_are_refused(world: World, change: dict[str, Any]) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    line: dict[str, Any] = {"pool_id": pools["a"], "quantity": 1, **change}

    response = await world.api.post("/v1/holds", {"listing_id": listing_id, "customer_ref": "c", "lines": [line]})

    body = assert_problem(response, 400, "validation_failed")
    assert body["errors"]
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"customer_ref": "c", "lines": []}, id="no lines"),
        pytest.param({"customer_ref": "", "lines": None}, id="empty customer"),
        pytest.param({"customer_ref": "c", "lines": [], "total_price": 0}, id="price from client"),
        pytest.param({"customer_ref": "c" * 201, "lines": None}, id="long customer"),
    ],
)
async def test_bad_hold_bodies_are_refused(world: World, body: dict[str, Any]) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    if body["lines"] is None:
        body["lines"] = [{"pool_id": pools["a"], "quantity": 1}]
    response = await world.api.post("/v1/holds", {"listing_id": listing_id, **body})
    assert_problem(response, 400, "validation_failed")
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_the_same_pool_twice_in_a_hold_is_refused(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    lines = [{"pool_id": pools["a"], "quantity": 1}, {"pool_id": pools["a"], "quantity": 2}]
    response = await world.api.post("/v1/holds", {"listing_id": listing_id, "customer_ref": "c", "lines": lines})
    assert_problem(response, 400, "validation_failed")
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_a_pool_of_another_listing_is_not_found(world: World) -> None:
    listing_id, _ = await make_listing(world.api, (("a", 5, 1000),))
    _, elsewhere = await make_listing(world.api, (("x", 5, 1000),))
    lines = [{"pool_id": elsewhere["x"], "quantity": 1}]
    response = await world.api.post("/v1/holds", {"listing_id": listing_id, "customer_ref": "c", "lines": lines})
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/listings/{id}"),
        ("get", "/v1/listings/{id}/availability"),
        ("get", "/v1/pools/{id}"),
        ("get", "/v1/holds/{id}"),
        ("delete", "/v1/holds/{id}"),
        ("get", "/v1/bookings/{id}"),
        ("post", "/v1/bookings/{id}/cancel"),
    ],
)
async def test_unknown_ids_are_not_found(world: World, method: str, path: str) -> None:
    response = await getattr(world.api, method)(path.format(id=uuid4()))
    assert_problem(response, 404, "not_found")


async def test_booking_an_unknown_hold_is_not_found(world: World) -> None:
    assert_problem(await world.api.post("/v1/bookings", {"hold_id": str(uuid4())}), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"kind": "cruise", "name": "x"}, id="unknown kind"),
        pytest.param({"kind": "flight", "name": ""}, id="empty name"),
        pytest.param({"kind": "flight", "name": "x", "per_customer_limit": 0}, id="zero limit"),
        pytest.param({"kind": "flight", "name": "x", "hold_ttl_seconds": HUGE}, id="huge ttl"),
        pytest.param({"kind": "flight", "name": "x", "id": str(uuid4())}, id="client id"),
        pytest.param({"kind": "flight", "name": "x", "tenant_id": str(uuid4())}, id="tenant from client"),
    ],
)
async def test_bad_listings_are_refused(world: World, body: dict[str, Any]) -> None:
    assert_problem(await world.api.post("/v1/listings", body), 400, "validation_failed")
    assert (await world.api.get("/v1/listings")).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"code": "a", "capacity": -1, "unit_price": 1, "currency": "EUR"}, id="negative capacity"),
        pytest.param({"code": "a", "capacity": HUGE, "unit_price": 1, "currency": "EUR"}, id="huge capacity"),
        pytest.param({"code": "a", "capacity": 1, "unit_price": -5, "currency": "EUR"}, id="negative price"),
        pytest.param({"code": "a", "capacity": 1, "unit_price": 1, "currency": "euro"}, id="bad currency"),
        pytest.param({"code": "a b", "capacity": 1, "unit_price": 1, "currency": "EUR"}, id="bad code"),
    ],
)
async def test_bad_pools_are_refused(world: World, body: dict[str, Any]) -> None:
    listing_id, _ = await make_listing(world.api, ())
    assert_problem(await world.api.post(f"/v1/listings/{listing_id}/pools", body), 400, "validation_failed")
    assert (await world.api.get(f"/v1/listings/{listing_id}/pools")).json()["items"] == []


async def test_malformed_json_is_refused(world: World) -> None:
    response = await world.client.post(
        "/v1/listings",
        content=b"{not json",
        headers={"X-API-Key": world.api.key, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="zero limit"),
        pytest.param({"limit": 1000}, id="huge limit"),
        pytest.param({"status": "paid"}, id="unknown status"),
        pytest.param({"cursor": "garbage!"}, id="bad cursor"),
    ],
)
async def test_bad_list_parameters_are_refused(world: World, params: dict[str, Any]) -> None:
    assert_problem(await world.api.get("/v1/bookings", params=params), 400, "validation_failed")


async def test_unknown_route_is_a_problem_too(world: World) -> None:
    assert_problem(await world.api.get("/v1/nothing-here"), 404, "not_found")
