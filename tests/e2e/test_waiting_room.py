"""The virtual waiting room over HTTP, on both profiles: settings on the listing, join, status,
leave, the release job, and the queue pass on POST /v1/holds (route and hot path alike)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from dependency_injector import providers

from application.use_cases.issue_api_key import IssueApiKey
from infrastructure.container import build_container, close_container
from infrastructure.jobs.in_process import InProcessJobQueue
from interfaces.http.app import create_app
from interfaces.workers.jobs import job_handlers
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import database_statements, make_listing
from tests.e2e.test_catalogue_cache import heard, listening

QUEUE = {"enabled": True, "batch_size": 2, "period_seconds": 10, "pass_ttl_seconds": 60, "holds_per_pass": 1}


async def hold(api: Api, listing_id: str, lines: dict[str, int], headers: Any = None, **extra: Any) -> Any:
    body = {
        "listing_id": listing_id,
        "customer_ref": "cust-1",
        "lines": [{"pool_id": pool, "quantity": qty} for pool, qty in lines.items()],
        **extra,
    }
    return await api.post("/v1/holds", body, headers=headers)


async def _queued_listing(api: Api, **queue: Any) -> tuple[str, dict[str, str]]:
    listing_id, pools = await make_listing(api, (("a", 50, 1000),))
    changed = await api.patch(f"/v1/listings/{listing_id}", {"queue": {**QUEUE, **queue}})
    assert changed.status_code == 200, changed.text
    return listing_id, pools


async def _second_key(world: World) -> Api:
    """Another identity of the same tenant (acme): a second API key."""
    key = await world.container.use_cases.issue_api_key()(IssueApiKey("acme", "second"))
    return Api(world.client, key, world.clock)


async def _release(world: World) -> int:
    admitted: int = await world.container.use_cases.release_queues()()
    return admitted


async def test_queue_settings_are_set_by_patch_and_shown_by_get(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    before = await world.api.get(f"/v1/listings/{listing_id}")
    assert before.json()["queue"] == {
        "enabled": False,
        "batch_size": 100,
        "period_seconds": 10,
        "pass_ttl_seconds": 300,
        "holds_per_pass": 1,
    }
    changed = await world.api.patch(f"/v1/listings/{listing_id}", {"queue": {"enabled": True, "batch_size": 7}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["queue"]["batch_size"] == 7
    shown = (await world.api.get(f"/v1/listings/{listing_id}")).json()["queue"]
    assert shown == {**before.json()["queue"], "enabled": True, "batch_size": 7}


async def test_bad_queue_settings_are_problems_and_change_nothing(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    for bad in (
        {"queue": {"batch_size": 0}},
        {"queue": {"period_seconds": -1}},
        {"queue": {"pass_ttl_seconds": 10**9}},
        {"queue": {"holds_per_pass": "two"}},
        {"queue": {"enabled": True, "surprise": 1}},
        {"kind": "flight"},  # a listing's kind never changes (its name may: PATCH changes it)
        {},
    ):
        response = await world.api.patch(f"/v1/listings/{listing_id}", bad)
        assert response.status_code == 400, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "validation_failed"
    assert (await world.api.get(f"/v1/listings/{listing_id}")).json()["queue"]["enabled"] is False
    other = await world.other.patch(f"/v1/listings/{listing_id}", {"queue": {"enabled": True}})
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"


async def test_joining_a_listing_without_queue_mode_is_a_conflict(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    response = await world.api.post(f"/v1/listings/{listing_id}/queue")
    assert response.status_code == 409
    assert response.json()["code"] == "queue_not_enabled"


async def test_join_status_release_pass_and_hold(world: World) -> None:
    listing_id, pools = await _queued_listing(world.api)
    first = await world.api.post(f"/v1/listings/{listing_id}/queue")
    assert first.status_code == 201, first.text
    ticket = first.json()
    assert first.headers["location"] == f"/v1/listings/{listing_id}/queue/{ticket['id']}"
    assert (ticket["state"], ticket["position"], ticket["queue_pass"]) == ("waiting", 1, None)
    assert ticket["estimated_wait_seconds"] == 10
    again = await world.api.post(f"/v1/listings/{listing_id}/queue")
    assert again.status_code == 200
    assert again.json()["id"] == ticket["id"]

    refused = await hold(world.api, listing_id, {pools["a"]: 1})
    assert refused.status_code == 403
    assert refused.json()["code"] == "queue_pass_required"

    assert await _release(world) == 1
    status = await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")
    assert status.status_code == 200, status.text
    admitted = status.json()
    assert (admitted["state"], admitted["position"], admitted["estimated_wait_seconds"]) == ("admitted", 0, 0)
    token = admitted["queue_pass"]
    placed = await hold(world.api, listing_id, {pools["a"]: 1}, headers={"X-Queue-Pass": token})
    assert placed.status_code == 201, placed.text
    used_up = await hold(world.api, listing_id, {pools["a"]: 1}, headers={"X-Queue-Pass": token})
    assert used_up.status_code == 403
    assert used_up.json()["code"] == "queue_pass_used_up"


async def test_positions_and_waits_follow_join_order(world: World) -> None:
    listing_id, _ = await _queued_listing(world.api, batch_size=1)
    second = await _second_key(world)
    mine = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    theirs = (await second.post(f"/v1/listings/{listing_id}/queue")).json()
    assert (mine["position"], theirs["position"]) == (1, 2)
    assert (mine["estimated_wait_seconds"], theirs["estimated_wait_seconds"]) == (10, 20)
    assert await _release(world) == 1
    assert await _release(world) == 0  # the period is not over
    world.clock.advance(10)
    assert await _release(world) == 1
    status = (await second.get(f"/v1/listings/{listing_id}/queue/{theirs['id']}")).json()
    assert status["state"] == "admitted"


async def test_another_identitys_ticket_is_not_found(world: World) -> None:
    listing_id, _ = await _queued_listing(world.api)
    second = await _second_key(world)
    ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    for api in (second, world.other):
        url = f"/v1/listings/{listing_id}/queue/{ticket['id']}"
        assert (await api.get(url)).status_code == 404
        assert (await api.delete(url)).status_code == 404
    assert (await world.other.post(f"/v1/listings/{listing_id}/queue")).status_code == 404
    assert (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).status_code == 200


async def test_leaving_gives_the_place_up_and_revokes_the_pass(world: World) -> None:
    listing_id, pools = await _queued_listing(world.api, holds_per_pass=5)
    ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    await _release(world)
    url = f"/v1/listings/{listing_id}/queue/{ticket['id']}"
    token = (await world.api.get(url)).json()["queue_pass"]
    left = await world.api.delete(url)
    assert left.status_code == 204, left.text
    assert (await world.api.get(url)).status_code == 404
    assert (await world.api.delete(url)).status_code == 404
    refused = await hold(world.api, listing_id, {pools["a"]: 1}, headers={"X-Queue-Pass": token})
    assert refused.status_code == 403
    assert refused.json()["code"] == "queue_pass_invalid"
    rejoined = await world.api.post(f"/v1/listings/{listing_id}/queue")
    assert rejoined.status_code == 201
    assert rejoined.json()["id"] != ticket["id"]


async def test_a_pass_works_only_for_its_identity_listing_and_lifetime(world: World) -> None:
    listing_id, pools = await _queued_listing(world.api, holds_per_pass=5)
    other_listing, other_pools = await _queued_listing(world.api)
    second = await _second_key(world)
    ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    await _release(world)
    token = (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).json()["queue_pass"]
    payload, signature = token.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for api, listing, pool, sent, code in (
        (second, listing_id, pools["a"], token, "queue_pass_invalid"),  # another identity
        (world.api, other_listing, other_pools["a"], token, "queue_pass_invalid"),  # another listing
        (world.api, listing_id, pools["a"], forged, "queue_pass_invalid"),
        (world.api, listing_id, pools["a"], "notapass", "queue_pass_invalid"),
    ):
        refused = await hold(api, listing, {pool: 1}, headers={"X-Queue-Pass": sent})
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == code
    world.clock.advance(60)
    expired = await hold(world.api, listing_id, {pools["a"]: 1}, headers={"X-Queue-Pass": token})
    assert expired.status_code == 403
    assert expired.json()["code"] == "queue_pass_expired"
    status = (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).json()
    assert (status["state"], status["queue_pass"]) == ("expired", None)
    rejoined = await world.api.post(f"/v1/listings/{listing_id}/queue")
    assert rejoined.status_code == 201
    assert rejoined.json()["position"] == 1


async def test_a_refused_hold_does_not_use_up_the_pass_and_a_retry_counts_once(world: World) -> None:
    listing_id, pools = await _queued_listing(world.api, holds_per_pass=1)
    ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    await _release(world)
    token = (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).json()["queue_pass"]
    headers = {"X-Queue-Pass": token}
    too_many = await hold(world.api, listing_id, {pools["a"]: 51}, headers=headers)
    assert too_many.status_code == 409, too_many.text
    hold_id = "5b0f8a52-3f4c-4c59-9b8e-8e0f2f3a9a01"
    placed = await hold(world.api, listing_id, {pools["a"]: 2}, headers=headers, id=hold_id)
    assert placed.status_code == 201, placed.text
    retried = await hold(world.api, listing_id, {pools["a"]: 2}, headers=headers, id=hold_id)
    assert retried.status_code == 201, retried.text
    mismatch = await hold(world.api, listing_id, {pools["a"]: 3}, headers=headers, id=hold_id)
    assert mismatch.status_code == 409, mismatch.text
    used_up = await hold(world.api, listing_id, {pools["a"]: 1}, headers=headers)
    assert used_up.json()["code"] == "queue_pass_used_up"


async def test_turning_queue_mode_off_lets_holds_through_without_a_pass(world: World) -> None:
    listing_id, pools = await _queued_listing(world.api)
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 403
    await world.api.patch(f"/v1/listings/{listing_id}", {"queue": {"enabled": False}})
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201


@pytest.fixture
async def routed(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """The same app without the hot path: POST /v1/holds answered by the Litestar route."""
    app = create_app(world.container.settings(), world.container, hot_path=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def test_the_hot_path_and_the_route_check_passes_alike(world: World, routed: httpx.AsyncClient) -> None:
    listing_id, pools = await _queued_listing(world.api, holds_per_pass=2)
    ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    await _release(world)
    token = (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).json()["queue_pass"]
    body = {"listing_id": listing_id, "customer_ref": "c", "lines": [{"pool_id": pools["a"], "quantity": 1}]}
    passed = {"X-Queue-Pass": token}
    cases = [{}, {"X-Queue-Pass": "forged.pass"}, {"X-Queue-Pass": "not a pass"}, passed, passed, passed]
    answers = []
    for extra in cases:
        held = {**body, "id": str(uuid4())}
        pair = []
        for client in (routed, world.client):
            headers = {"X-API-Key": world.api.key, "X-Correlation-ID": "same", **extra}
            response = await client.post("/v1/holds", json=held, headers=headers)
            pair.append((response.status_code, response.json().get("code"), response.json().get("detail")))
        assert pair[0] == pair[1]
        answers.append(pair[0][:2])
    # each hold is sent to both with one hold id: the second is a retry, counted once, so a
    # pass of two holds admits two of the three cases that carry it
    assert answers == [
        (403, "queue_pass_required"),
        (403, "queue_pass_invalid"),
        (400, "validation_failed"),
        (201, None),
        (201, None),
        (403, "queue_pass_used_up"),
    ]


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_on_the_redis_engine_the_queue_and_the_pass_check_run_no_postgres_query(world: World) -> None:
    listing_id, pools = await _queued_listing(world.api, holds_per_pass=2)
    await listening(world.container)
    await hold(world.api, listing_id, {pools["a"]: 1})  # fills the cache
    with database_statements(world.container) as queries:
        ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
        waiting = await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")
        refused = await hold(world.api, listing_id, {pools["a"]: 1})
    assert waiting.json()["position"] == 1
    assert refused.json()["code"] == "queue_pass_required"
    assert queries == []
    await _release(world)  # the job reads which listings are queued from Postgres
    with database_statements(world.container) as queries:
        token = (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).json()["queue_pass"]
        placed = [await hold(world.api, listing_id, {pools["a"]: 1}, headers={"X-Queue-Pass": token}) for _ in "abc"]
    assert [response.status_code for response in placed] == [201, 201, 403]
    assert queries == []


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_queue_mode_turned_on_through_another_process_is_enforced_within_the_bound(world: World) -> None:
    """Process B (its own container and catalogue cache over the same Postgres and Redis, as a
    second ``holdfast serve``) turns queue mode on; A's cached listing follows by pub/sub."""
    listing_id, pools = await make_listing(world.api)
    await listening(world.container)
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201  # A caches the listing
    settings = world.container.settings()
    other = build_container(settings)
    other.core.clock.override(providers.Object(world.clock))
    transport = httpx.ASGITransport(app=create_app(settings, other))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
            b = Api(client, world.api.key, world.clock)
            assert (await b.patch(f"/v1/listings/{listing_id}", {"queue": {"enabled": True}})).status_code == 200

            async def refused() -> bool:
                response = await hold(world.api, listing_id, {pools["a"]: 1})
                return bool(response.status_code == 403 and response.json()["code"] == "queue_pass_required")

            await heard(refused)
    finally:
        await close_container(other)


async def test_the_in_process_runner_releases_through_the_job_catalogue(world: World) -> None:
    """The embedded default's queue (``in-process``) runs ``release_queues`` from the same job
    catalogue as ``holdfast worker`` (a round asked for now, as ``holdfast jobs run`` would)."""
    listing_id, _ = await _queued_listing(world.api)
    ticket = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    jobs = world.container.gateways.jobs()
    assert isinstance(jobs, InProcessJobQueue)
    jobs.start(job_handlers(world.container))
    try:
        await jobs.run_now("release_queues")
        await jobs.drain()
    finally:
        await jobs.stop()
    status = (await world.api.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")).json()
    assert (status["state"], status["position"]) == ("admitted", 0)


async def test_the_queue_outlives_the_app_on_both_profiles(world: World) -> None:
    """A new container and app over the same database and Redis (a restarted API process) finds
    every place where it was: SQLite/Postgres tables on the sql engine, Redis on the redis engine."""
    listing_id, _ = await _queued_listing(world.api)
    second = await _second_key(world)
    mine = (await world.api.post(f"/v1/listings/{listing_id}/queue")).json()
    theirs = (await second.post(f"/v1/listings/{listing_id}/queue")).json()
    settings = world.container.settings()
    restarted = build_container(settings)
    restarted.core.clock.override(providers.Object(world.clock))
    transport = httpx.ASGITransport(app=create_app(settings, restarted))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://again") as client:
            again = Api(client, second.key, world.clock)
            status = (await again.get(f"/v1/listings/{listing_id}/queue/{theirs['id']}")).json()
            assert (status["state"], status["position"]) == ("waiting", 2)
            rejoined = await Api(client, world.api.key, world.clock).post(f"/v1/listings/{listing_id}/queue")
            assert (rejoined.status_code, rejoined.json()["id"]) == (200, mine["id"])
    finally:
        await close_container(restarted)
