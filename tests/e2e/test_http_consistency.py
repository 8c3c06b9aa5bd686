"""The HTTP contract holds alike on every route (issue 10, "HTTP consistency")."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from loguru import logger

from tests.e2e.conftest import World
from tests.e2e.helpers import hold, make_listing
from tests.e2e.test_metrics import label_values, scrape, value


async def test_query_parameter_errors_name_their_source_plainly(world: World) -> None:
    response = await world.api.get("/v1/bookings", params={"limit": 0})
    assert response.status_code == 400
    assert [e["source"] for e in response.json()["errors"]] == ["query"]


async def test_the_root_links_the_documentation(world: World) -> None:
    response = await world.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    assert document["name"] == "Holdfast"
    assert document["version"]
    assert document["links"]["openapi"] == "/schema/openapi.json"
    assert document["links"]["health"] == "/health/live"
    # every link answers
    for link in document["links"].values():
        assert (await world.client.get(link)).status_code == 200, link


async def test_booking_an_already_booked_hold_is_documented(world: World) -> None:
    schema = (await world.client.get("/schema/openapi.json")).json()
    responses = schema["paths"]["/v1/bookings"]["post"]["responses"]
    assert {"200", "201"} <= set(responses)
    listing, pools = await make_listing(world.api)
    held = (await hold(world.api, listing, {pools["a"]: 1})).json()
    first = await world.api.post("/v1/bookings", {"hold_id": held["id"]})
    again = await world.api.post("/v1/bookings", {"hold_id": held["id"]})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


AccessLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def access_lines() -> Iterator[AccessLines]:
    """The access-log lines written so far while the test runs (loguru records, as JSON)."""
    sink = io.StringIO()
    sink_id = logger.add(sink, serialize=True, level="INFO")

    def written() -> list[dict[str, Any]]:
        records = [json.loads(line)["record"] for line in sink.getvalue().splitlines()]
        return [r for r in records if "status" in r["extra"] and "duration_ms" in r["extra"]]

    try:
        yield written
    finally:
        logger.remove(sink_id)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/v1/nothing-here", 404, id="no route"),
        pytest.param("PUT", "/v1/listings", 405, id="no such method"),
        pytest.param("BREW", "/v1/coffee", 404, id="no such method nor route"),
    ],
)
async def test_routing_refusals_echo_the_correlation_id_and_are_logged(
    world: World, method: str, path: str, status: int, access_lines: AccessLines
) -> None:
    headers = {"X-API-Key": world.api.key, "X-Correlation-ID": "client-trace-7"}
    response = await world.client.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.headers["X-Correlation-ID"] == "client-trace-7"
    assert response.json()["correlation_id"] == "client-trace-7"
    fresh = await world.client.request(method, path)  # none sent: a fresh one, not "-"
    assert fresh.headers["X-Correlation-ID"] not in ("", "-")
    assert fresh.json()["correlation_id"] == fresh.headers["X-Correlation-ID"]

    samples = await scrape(world)
    logged = [line for line in access_lines() if line["extra"]["correlation_id"] == "client-trace-7"]
    assert [line["message"].split()[:3] for line in logged] == [[method, path, str(status)]]
    # counted, but never by the client's path or made-up method
    assert (
        value(
            samples,
            "holdfast_http_requests_total",
            method=method if method != "BREW" else "OTHER",
            route="unmatched",
            status=str(status),
        )
        == 2
    )
    assert not [r for r in label_values(samples, "holdfast_http_", "route") if "nothing" in r or "coffee" in r]
    assert "BREW" not in label_values(samples, "holdfast_http_", "method")


@pytest.mark.parametrize("signature", [None, "t=1,v1=" + "0" * 64, "garbage"])
async def test_a_bad_stripe_signature_is_refused_without_the_sdks_advice(world: World, signature: str | None) -> None:
    headers = {"content-type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
    response = await world.client.post("/v1/webhooks/stripe", content=b'{"id": "evt_x"}', headers=headers)
    assert response.status_code == 400
    detail = response.json()["detail"]
    for advice in ("Read it from", "without_verification", "Are you passing", "Learn more", "http"):
        assert advice not in detail
    assert "Stripe-Signature" in detail


async def test_created_resources_are_located(world: World) -> None:
    created = await world.api.post("/v1/listings", {"kind": "event_show", "name": "Located"})
    assert created.status_code == 201
    listing = created.json()["id"]
    assert created.headers["Location"] == f"/v1/listings/{listing}"
    pool = await world.api.post(
        f"/v1/listings/{listing}/pools", {"code": "a", "capacity": 5, "unit_price": 1000, "currency": "EUR"}
    )
    pool_id = pool.json()["id"]
    assert pool.headers["Location"] == f"/v1/pools/{pool_id}"
    held = await hold(world.api, listing, {pool_id: 1})
    assert held.headers["Location"] == f"/v1/holds/{held.json()['id']}"
    booked = await world.api.post("/v1/bookings", {"hold_id": held.json()["id"]})
    assert booked.status_code == 201
    assert booked.headers["Location"] == f"/v1/bookings/{booked.json()['id']}"
    for response in (created, pool, held, booked):
        assert (await world.api.get(response.headers["Location"])).status_code == 200
    endpoint = await world.api.post("/v1/webhook-endpoints", {"url": "https://example.com/hook"})
    assert endpoint.headers["Location"] == f"/v1/webhook-endpoints/{endpoint.json()['id']}"


async def test_the_location_of_201s_is_documented(world: World) -> None:
    paths = (await world.client.get("/schema/openapi.json")).json()["paths"]
    for path in (
        "/v1/listings",
        "/v1/listings/{listing_id}/pools",
        "/v1/holds",
        "/v1/bookings",
        "/v1/webhook-endpoints",
    ):
        assert "Location" in paths[path]["post"]["responses"]["201"]["headers"], path


async def test_a_replayed_creation_is_located_alike(world: World) -> None:
    keyed = {"Idempotency-Key": "located-1"}
    first = await world.api.post("/v1/listings", {"kind": "flight", "name": "F1"}, headers=keyed)
    again = await world.api.post("/v1/listings", {"kind": "flight", "name": "F1"}, headers=keyed)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] == f"/v1/listings/{first.json()['id']}"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param("/v1/listings", {"colour": "red", "price_max": "10"}, id="listings"),  # kind and q exist
        pytest.param("/v1/bookings", {"state": "confirmed"}, id="bookings"),
        pytest.param("/v1/webhook-endpoints", {"url": "x"}, id="endpoints"),
    ],
)
async def test_unknown_query_parameters_are_refused(world: World, path: str, params: dict[str, str]) -> None:
    response = await world.api.get(path, params={"limit": 5, **params})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert sorted(e["field"] for e in body["errors"]) == sorted(params)
    assert {e["source"] for e in body["errors"]} == {"query"}
    assert "limit" in body["errors"][0]["message"]  # names what the route does read
    assert (await world.api.get(path, params={"limit": 5})).status_code == 200


async def test_known_query_parameters_still_work(world: World) -> None:
    listing, pools = await make_listing(world.api)
    await hold(world.api, listing, {pools["a"]: 1})
    assert (await world.api.get(f"/v1/listings/{listing}", params={"limit": 1})).status_code == 200
    filtered = await world.api.get("/v1/bookings", params={"status": "confirmed", "customer_ref": "c"})
    assert filtered.status_code == 200
    assert (await world.api.get(f"/v1/listings/{listing}/pools", params={"cursor": "x"})).status_code == 400


async def test_a_pool_has_one_shape_on_every_route(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 5, 1000),))
    await hold(world.api, listing, {pools["a"]: 2})
    shown = (await world.api.get(f"/v1/pools/{pools['a']}")).json()
    resized = (await world.api.patch(f"/v1/pools/{pools['a']}", {"capacity": 6})).json()
    listed = (await world.api.get(f"/v1/listings/{listing}/pools")).json()["items"]
    in_listing = (await world.api.get(f"/v1/listings/{listing}")).json()["pools"]
    fields = {"id", "listing_id", "code", "name", "capacity", "unit_price", "created_at"}
    assert set(shown) == set(resized) == fields | {"counters"}
    assert set(listed[0]) == set(in_listing[0]) == fields
    assert shown["id"] == listed[0]["id"] == pools["a"]
    assert (shown["counters"]["held"], resized["counters"]["available"]) == (2, 4)
