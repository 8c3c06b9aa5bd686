"""Idempotency keys through the API, with Stripe's semantics: replay, mismatch, in progress, TTL."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest
from dependency_injector import providers

from application.ports.idempotency import Claim
from application.use_cases.run_idempotently import IdempotencyPolicy, RunIdempotently
from infrastructure.persistence.idempotency import idempotency_keys
from infrastructure.persistence.metadata import metadata
from infrastructure.settings import Settings
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import availability, hold, make_listing

DAY = 24 * 3600


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def keyed_hold(api: Api, listing_id: str, lines: dict[str, int], key: str | bytes) -> Any:
    body = {
        "listing_id": listing_id,
        "customer_ref": "cust-1",
        "lines": [{"pool_id": pool, "quantity": qty} for pool, qty in lines.items()],
    }
    return await api.post("/v1/holds", body, headers={"Idempotency-Key": key})


def assert_replayed(first: Any, again: Any) -> None:
    """The stored response, byte for byte, marked as a replay."""
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


async def test_a_retried_hold_is_replayed_and_placed_once(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))

    first = await keyed_hold(world.api, listing_id, {pools["a"]: 2}, "hold-1")
    again = await keyed_hold(world.api, listing_id, {pools["a"]: 2}, "hold-1")

    assert first.status_code == 201, first.text
    assert_replayed(first, again)
    assert again.headers["x-correlation-id"] != first.headers["x-correlation-id"]
    assert await availability(world.api, listing_id) == {"a": (2, 0, 3)}


async def test_a_retried_listing_is_created_once(world: World) -> None:
    body = {"kind": "event_show", "name": "Once"}

    first = await world.api.post("/v1/listings", body, headers=keyed("listing-1"))
    again = await world.api.post("/v1/listings", body, headers=keyed("listing-1"))

    assert first.status_code == 201, first.text
    assert_replayed(first, again)
    listed = (await world.api.get("/v1/listings")).json()["items"]
    assert [item["id"] for item in listed] == [first.json()["id"]]


async def test_a_retried_resize_and_release_are_replayed(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]

    grown = [await world.api.patch(f"/v1/pools/{pools['a']}", {"capacity": 8}, headers=keyed("grow")) for _ in "12"]
    freed = [await world.api.delete(f"/v1/holds/{hold_id}", headers=keyed("free")) for _ in "12"]

    assert grown[0].status_code == freed[0].status_code == 200
    assert_replayed(*grown)
    assert_replayed(*freed)
    assert await availability(world.api, listing_id) == {"a": (0, 0, 8)}


async def test_a_retried_booking_is_replayed_and_booked_once(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 2})).json()["id"]

    first = await world.api.post("/v1/bookings", {"hold_id": hold_id}, headers=keyed("book-1"))
    counters = await availability(world.api, listing_id)
    again = await world.api.post("/v1/bookings", {"hold_id": hold_id}, headers=keyed("book-1"))

    assert first.status_code == 201, first.text
    assert_replayed(first, again)  # without the key, a repeat answers 200, not the stored 201
    assert len((await world.api.get("/v1/bookings")).json()["items"]) == 1
    assert await availability(world.api, listing_id) == counters


async def test_the_same_key_for_another_request_is_refused_and_changes_nothing(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    first = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "k")

    other_body = await keyed_hold(world.api, listing_id, {pools["a"]: 2}, "k")
    other_path = await world.api.post("/v1/listings", {"kind": "event_show", "name": "x"}, headers=keyed("k"))

    assert first.status_code == 201
    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "idempotency_mismatch"
        assert refused.json()["correlation_id"] == refused.headers["x-correlation-id"]
    assert await availability(world.api, listing_id) == {"a": (1, 0, 4)}
    assert len((await world.api.get("/v1/listings")).json()["items"]) == 1


@pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9", "tab\there"])
async def test_a_malformed_key_is_a_400_and_changes_nothing(world: World, key: str) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))

    response = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, key.encode("latin-1"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_the_longest_key_is_accepted(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    key = "~ !" + "k" * 252
    first = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, key)
    again = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, key)
    assert first.status_code == 201
    assert_replayed(first, again)


async def test_a_stored_conflict_is_replayed_even_once_it_would_succeed(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 1000),))
    refused = await keyed_hold(world.api, listing_id, {pools["a"]: 2}, "too-many")
    await world.api.patch(f"/v1/pools/{pools['a']}", {"capacity": 5})

    again = await keyed_hold(world.api, listing_id, {pools["a"]: 2}, "too-many")

    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_inventory"
    assert_replayed(refused, again)
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_keys_belong_to_a_tenant(world: World) -> None:
    acme_listing, acme_pools = await make_listing(world.api, (("a", 5, 1000),))
    globex_listing, globex_pools = await make_listing(world.other, (("a", 5, 1000),))

    acme = await keyed_hold(world.api, acme_listing, {acme_pools["a"]: 1}, "shared")
    globex = await keyed_hold(world.other, globex_listing, {globex_pools["a"]: 3}, "shared")

    assert acme.status_code == globex.status_code == 201
    assert "idempotent-replayed" not in globex.headers
    assert await availability(world.other, globex_listing) == {"a": (3, 0, 2)}


async def test_after_the_ttl_a_purge_frees_the_key(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    purge = world.container.use_cases.purge_idempotency_keys()
    first = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "daily")

    world.clock.advance(DAY - 1)
    kept = await purge()
    replayed = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "daily")
    world.clock.advance(2)
    purged = await purge()
    fresh = await keyed_hold(world.api, listing_id, {pools["a"]: 2}, "daily")

    assert (kept, purged) == (0, 1)
    assert_replayed(first, replayed)
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert await availability(world.api, listing_id) == {"a": (2, 0, 3)}  # the first hold expired long ago


async def test_a_burst_of_identical_requests_places_one_hold(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 500, 1000),))

    burst = [keyed_hold(world.api, listing_id, {pools["a"]: 3}, "burst") for _ in range(100)]
    responses = await asyncio.gather(*burst)

    assert {(r.status_code, r.content) for r in responses} == {(201, responses[0].content)}
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert await availability(world.api, listing_id) == {"a": (3, 0, 497)}


async def test_a_server_failure_releases_the_key_for_a_real_retry(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))

    async def broken(_command: Any) -> Any:
        raise RuntimeError("the process fell over mid-request")

    world.container.use_cases.place_hold.override(providers.Object(broken))
    try:
        failed = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "retry-me")
    finally:
        world.container.use_cases.place_hold.reset_override()
    retried = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "retry-me")

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert await availability(world.api, listing_id) == {"a": (1, 0, 4)}


async def _claim_in_progress(world: World, api: Api, key: str, body: bytes) -> None:
    """What a request still running elsewhere leaves behind: a claimed record, no response."""
    tenant = (await world.container.use_cases.authenticate()(api.key)).tenant
    command = RunIdempotently(tenant.id, key, "POST", "/v1/holds", body)
    now = world.clock.now()
    claim = await world.container.gateways.idempotency().begin(tenant.id, key, command.fingerprint, now, now)
    assert isinstance(claim, Claim)


async def test_a_repeat_of_a_request_in_progress_waits_then_gets_409(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    body = f'{{"listing_id":"{listing_id}","customer_ref":"c","lines":[{{"pool_id":"{pools["a"]}","quantity":1}}]}}'
    world.container.use_cases.idempotency_policy.override(providers.Object(IdempotencyPolicy(wait_seconds=0.3)))
    await _claim_in_progress(world, world.api, "busy", body.encode())

    started = time.monotonic()
    busy = await world.api.post(
        "/v1/holds", content=body, headers={**keyed("busy"), "Content-Type": "application/json"}
    )
    waited = time.monotonic() - started
    world.clock.advance(61)  # the first request's process is presumed dead: its claim is taken over
    taken_over = await world.api.post(
        "/v1/holds", content=body, headers={**keyed("busy"), "Content-Type": "application/json"}
    )

    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"
    assert 0.25 <= waited < 5
    assert taken_over.status_code == 201, taken_over.text
    assert await availability(world.api, listing_id) == {"a": (1, 0, 4)}


async def test_requests_without_a_key_behave_as_before(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    first = await hold(world.api, listing_id, {pools["a"]: 1})
    second = await hold(world.api, listing_id, {pools["a"]: 1})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert await availability(world.api, listing_id) == {"a": (2, 0, 3)}


async def test_an_unknown_api_key_is_still_a_401(world: World) -> None:
    response = await world.client.post(
        "/v1/listings", json={"kind": "event_show", "name": "x"}, headers={"X-API-Key": "nope", **keyed("k")}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_openapi_documents_the_header_on_mutating_routes_only(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    place, show = spec["paths"]["/v1/holds"]["post"], spec["paths"]["/v1/holds/{hold_id}"]["get"]
    assert "Idempotency-Key" in [p["name"] for p in place["parameters"]]
    assert "Idempotency-Key" not in [p["name"] for p in show.get("parameters", [])]
    assert "`idempotency_mismatch`" in place["responses"]["422"]["description"]
    assert "`idempotency_in_progress`" in place["responses"]["409"]["description"]
    assert "`invalid_idempotency_key`" in place["responses"]["400"]["description"]
    assert "Idempotent-Replayed" in place["responses"]["201"]["headers"]


async def test_an_oversized_body_is_refused_before_anything_is_recorded(world: World) -> None:
    huge = {"kind": "event_show", "name": "x" * (1024 * 1024)}
    refused = await world.api.post("/v1/listings", huge, headers=keyed("huge"))
    allowed = await world.api.post("/v1/listings", {"kind": "event_show", "name": "x"}, headers=keyed("huge"))
    assert refused.status_code == 413
    assert refused.json()["code"] == "payload_too_large"
    assert allowed.status_code == 201


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_on_the_redis_engine_a_keyed_hold_writes_nothing_to_postgres(world: World, settings: Settings) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    before = await _row_counts(settings.database_url)

    first = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "no-postgres")
    again = await keyed_hold(world.api, listing_id, {pools["a"]: 1}, "no-postgres")

    assert first.status_code == 201, first.text
    assert_replayed(first, again)
    assert await _row_counts(settings.database_url) == before
    assert before[idempotency_keys.name] == 0


async def _row_counts(database_url: str) -> dict[str, int]:
    """Rows in every table of the system of record (the idempotency records' among them)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return {
            table.name: await connection.fetchval(f"SELECT count(*) FROM {table.name}")
            for table in metadata.sorted_tables
        }
    finally:
        await connection.close()
