"""/v1/ops/reconciliations: inventory drift found and repaired on both profiles, and the drill
of losing Redis: its counters and holds rebuilt from Postgres, exactly."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from sqlalchemy import update

from application.ports.jobs import JobArgs, QueueStats
from application.use_cases.authorize_operator import OPERATOR_SCOPE
from application.use_cases.issue_api_key import IssueApiKey
from application.use_cases.register_tenant import RegisterTenant
from infrastructure.inventory.sql_tables import inventory_pools
from infrastructure.metrics import PrometheusMetrics
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import availability, book, hold, make_listing

PATH = "/v1/ops/reconciliations"


class RecordingQueue:
    """A job queue that only remembers what was queued; the tests run the jobs themselves."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, dict[str, Any]]] = []

    async def enqueue(self, name: str, args: JobArgs | None = None, *, key: str | None = None) -> str:
        self.queued.append((name, dict(args or {})))
        return f"job-{len(self.queued)}"

    async def stats(self) -> QueueStats:
        return QueueStats(len(self.queued), 0, 0)


@pytest.fixture
def queue(world: World) -> RecordingQueue:
    recorder = RecordingQueue()
    world.container.gateways.jobs.override(providers.Object(recorder))
    return recorder


@pytest.fixture
async def operator(world: World) -> Api:
    await world.container.use_cases.register_tenant()(RegisterTenant("ops"))
    key = await world.container.use_cases.issue_api_key()(IssueApiKey("ops", "operator", (OPERATOR_SCOPE,)))
    return Api(world.client, key, world.clock)


async def reconcile(world: World, operator: Api, queue: RecordingQueue, **body: Any) -> dict[str, Any]:
    """Ask for a run over HTTP, run the queued job as a worker would, and read the report."""
    world.clock.advance(1)  # runs are listed newest first
    started = await operator.post(PATH, {"kind": "inventory", **body})
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    run_id = started.json()["id"]
    assert started.headers["location"] == f"{PATH}/{run_id}"
    assert queue.queued[-1] == ("reconcile", {"reconciliation_id": run_id})
    await world.container.use_cases.run_reconciliation()(UUID(run_id))
    report = await operator.get(started.headers["location"])
    assert report.status_code == 200, report.text
    return dict(report.json())


async def add_to_engine(world: World, listing_id: str, pool_id: str, field: str, units: int) -> None:
    """Drift made behind the engine's back: a counter changed directly in its store."""
    if world.container.settings().inventory_engine == "redis":
        redis = world.container.gateways.redis()
        await redis.hincrby(f"hf:{{{listing_id}}}:pools", f"{pool_id}:{field}", units)
        return
    column = inventory_pools.c[field]
    async with world.container.gateways.database().transaction() as session:
        statement = update(inventory_pools).where(inventory_pools.c.pool_id == UUID(pool_id))
        await session.execute(statement.values({field: column + units}))


async def journal(world: World) -> None:
    await world.container.use_cases.journal_holds()()


@pytest.mark.parametrize(
    ("method", "path"), [("POST", PATH), ("GET", PATH), ("GET", f"{PATH}/00000000-0000-4000-8000-000000000001")]
)
async def test_only_operator_keys_get_in(world: World, operator: Api, method: str, path: str) -> None:
    body = {"kind": "inventory"} if method == "POST" else None
    anonymous = await world.client.request(method, path, json=body)
    tenant = await world.client.request(method, path, json=body, headers={"X-API-Key": world.api.key})
    assert [anonymous.status_code, tenant.status_code] == [401, 403]
    assert tenant.json()["code"] == "forbidden"
    assert tenant.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "ledger"},
        {"kind": "inventory", "repair": "yes"},
        {"kind": "inventory", "listing_id": "not-a-uuid"},
        {"kind": "inventory", "status": "succeeded"},
        {"kind": "payments", "repair": True},
        {},
    ],
)
async def test_bad_requests_are_400_and_record_nothing(
    world: World, operator: Api, queue: RecordingQueue, body: dict[str, Any]
) -> None:
    response = await operator.post(PATH, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_failed"
    assert (await operator.get(PATH)).json() == []
    assert queue.queued == []


async def test_unknown_runs_are_404_and_bad_limits_400(operator: Api) -> None:
    missing = await operator.get(f"{PATH}/00000000-0000-4000-8000-000000000001")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert (await operator.get(PATH, params={"limit": 0})).status_code == 400


async def test_drift_is_found_then_repaired(world: World, operator: Api, queue: RecordingQueue) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0), ("b", 3, 0)))
    sold = await hold(world.api, listing_id, {pools["a"]: 2})
    await book(world, sold.json()["id"])
    assert (await hold(world.api, listing_id, {pools["a"]: 1, pools["b"]: 1})).status_code == 201
    await journal(world)

    clean = await reconcile(world, operator, queue)
    assert (clean["status"], clean["findings"], clean["drift"]) == ("succeeded", [], 0)
    assert clean["checked"] == clean["total"] == 2

    await add_to_engine(world, listing_id, pools["a"], "held", 2)
    found = await reconcile(world, operator, queue, listing_id=listing_id)
    assert [(f["subject"], f["field"], f["expected"], f["actual"], f["difference"]) for f in found["findings"]] == [
        (f"pool:{pools['a']}", "held", 1, 3, -2)
    ]
    assert found["drift"] == 1
    assert not found["findings"][0]["repaired"]
    # Another process (a fresh registry) reads the drift of the latest run from the record.
    world.container.gateways.metrics.override(providers.Singleton(PrometheusMetrics))
    scraped = (await world.client.get("/metrics")).text
    assert 'holdfast_reconciliation_drift{kind="inventory"} 1.0' in scraped
    assert (await availability(world.api, listing_id))["a"] == (3, 2, 0)

    repaired = await reconcile(world, operator, queue, listing_id=listing_id, repair=True)
    assert [(f["field"], f["repaired"]) for f in repaired["findings"]] == [("held", True)]
    assert repaired["drift"] == 0
    assert await availability(world.api, listing_id) == {"a": (1, 2, 2), "b": (1, 0, 2)}
    assert (await reconcile(world, operator, queue))["findings"] == []

    recent = (await operator.get(PATH)).json()
    assert [run["drift"] for run in recent] == [0, 0, 1, 0]
    metrics = (await world.client.get("/metrics")).text
    assert 'holdfast_reconciliation_drift{kind="inventory"} 0.0' in metrics


async def test_a_tenant_scope_leaves_other_tenants_alone(world: World, operator: Api, queue: RecordingQueue) -> None:
    mine, my_pools = await make_listing(world.api)
    theirs, their_pools = await make_listing(world.other)
    await add_to_engine(world, mine, my_pools["a"], "sold", 1)
    await add_to_engine(world, theirs, their_pools["a"], "sold", 1)
    async with world.container.gateways.uow() as uow:
        globex = await uow.tenants.find_by_name("globex")
    assert globex is not None

    report = await reconcile(world, operator, queue, tenant_id=str(globex.id), repair=True)
    assert [f["subject"] for f in report["findings"]] == [f"pool:{their_pools['a']}"]
    assert (await availability(world.api, mine))["a"] == (0, 1, 4)
    assert (await availability(world.other, theirs))["a"] == (0, 0, 5)


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_losing_redis_rebuilds_exact_counters_from_postgres(
    world: World, operator: Api, queue: RecordingQueue
) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 0), ("b", 4, 0)))
    a, b = pools["a"], pools["b"]
    booked = [await hold(world.api, listing_id, {a: 3, b: 1}, customer="c1")]
    booked.append(await hold(world.api, listing_id, {a: 1}, customer="c2"))
    bookings = [await book(world, response.json()["id"]) for response in booked]
    journaled = await hold(world.api, listing_id, {a: 2, b: 2}, customer="c3")
    lapsing = await hold(world.api, listing_id, {b: 1}, customer="c4", ttl_seconds=30)
    await journal(world)
    # After the last journaling: a booking (Postgres knows it) and a hold (only Redis knew it).
    late = await hold(world.api, listing_id, {a: 1}, customer="c5")
    bookings.append(await book(world, late.json()["id"]))
    lost = await hold(world.api, listing_id, {a: 2}, customer="c6")
    assert all(r.status_code == 201 for r in (journaled, lapsing, lost))
    world.clock.advance(60)  # the 30 s hold is due: it counts no more
    assert await availability(world.api, listing_id) == {"a": (4, 5, 1), "b": (3, 1, 0)}

    await world.container.gateways.redis().flushdb()
    report = await reconcile(world, operator, queue, repair=True)
    assert (report["status"], report["drift"]) == ("succeeded", 0)
    assert {f["field"] for f in report["findings"]} == {"pool"}

    # capacity - sold (bookings) - journaled active holds; the unjournaled hold counts as expired.
    assert await availability(world.api, listing_id) == {"a": (2, 5, 3), "b": (2, 1, 1)}
    assert (await world.api.get(f"/v1/holds/{journaled.json()['id']}")).json()["status"] == "active"
    assert (await world.api.get(f"/v1/holds/{lost.json()['id']}")).status_code == 404
    assert (await reconcile(world, operator, queue))["findings"] == []

    too_many = await hold(world.api, listing_id, {a: 4})
    assert (too_many.status_code, too_many.json()["code"]) == (409, "insufficient_inventory")
    assert (await hold(world.api, listing_id, {a: 3, b: 1})).status_code == 201
    assert (await hold(world.api, listing_id, {a: 1})).status_code == 409
    # A booking confirmed before the loss can still be cancelled: its units come back.
    cancelled = await world.api.post(f"/v1/bookings/{bookings[0]['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert await availability(world.api, listing_id) == {"a": (5, 2, 3), "b": (3, 0, 1)}
    booked_again = await hold(world.api, listing_id, {a: 3})
    assert booked_again.status_code == 201
    assert (await availability(world.api, listing_id))["a"] == (8, 2, 0)
    await journal(world)
    assert (await reconcile(world, operator, queue))["findings"] == []
