"""Degraded mode on the production profile, with real servers stopped and started again.

The app runs on a Postgres and a Redis of this module's own (the session's shared servers are
never stopped). While Redis is down, what needs only Postgres keeps working and the rest is
503 with Retry-After; while Postgres is down, every /v1 request that needs it is 503, and the hold
path, which needs Redis alone (a warm catalogue cache, issue 9), goes on. Whatever fails leaves
nothing half-written, and once the server is back the same requests work again, without
restarting the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from dependency_injector import providers
from redis.asyncio import Redis
from sqlalchemy import event

from application.use_cases.register_tenant import RegisterTenant
from domain.inventory import HoldStatus
from infrastructure.container import Container, build_container, close_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.databases import migrated_postgres
from tests.servers import RestartableServer

DATABASE = "holdfast_degraded"
WRITTEN_BY_A_BOOKING = ("bookings", "booking_transitions", "outbox", "ledger_transactions", "ledger_entries")


@dataclass
class Stack:
    client: httpx.AsyncClient
    key: str
    container: Container
    database_url: str
    postgres: RestartableServer
    redis: RestartableServer

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path, headers={"X-API-Key": self.key})

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers={"X-API-Key": self.key})

    async def pay(self, booking: dict[str, Any]) -> dict[str, Any]:
        """The customer pays with the fake gateway and Stripe's webhook is delivered (production
        serves no /v1/dev); returns the booking as it then is."""
        for webhook in await self.container.gateways.payments().pay(booking["payment"]["intent_id"]):
            answer = await self.client.post("/v1/webhooks/stripe", content=webhook.payload, headers=webhook.headers)
            assert answer.status_code == 200, answer.text
        read: dict[str, Any] = (await self.get(f"/v1/bookings/{booking['id']}")).json()
        return read

    async def stop(self, server: RestartableServer) -> None:
        await asyncio.to_thread(server.stop)

    async def start(self, server: RestartableServer) -> None:
        await asyncio.to_thread(server.start)

    async def rows(self) -> dict[str, int]:
        """How many rows each table a booking writes to holds (read straight from Postgres)."""
        connection = await asyncpg.connect(self.database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return {name: await connection.fetchval(f"SELECT count(*) FROM {name}") for name in WRITTEN_BY_A_BOOKING}
        finally:
            await connection.close()

    async def counters(self, pool_id: str) -> tuple[int, int]:
        """(held, sold) of a pool, as the Redis engine counts them."""
        [counters] = await self.container.gateways.inventory().counters([UUID(pool_id)])
        return counters.held, counters.sold

    async def hold_status(self, hold_id: str) -> HoldStatus:
        hold = await self.container.gateways.inventory().get_hold(UUID(hold_id))
        assert hold is not None
        return hold.status


@pytest.fixture(scope="module")
def database_url(restartable_postgres: RestartableServer) -> str:
    return migrated_postgres(restartable_postgres.url, DATABASE)


async def _empty(database_url: str, redis_url: str) -> None:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        names = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = ", ".join(row["tablename"] for row in names if row["tablename"] != "alembic_version")
        await connection.execute(f"TRUNCATE {tables} CASCADE")
    finally:
        await connection.close()
    client = Redis.from_url(redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@pytest.fixture
async def stack(
    restartable_postgres: RestartableServer, restartable_redis: RestartableServer, database_url: str
) -> AsyncIterator[Stack]:
    await _empty(database_url, restartable_redis.url)
    settings = Settings(
        database_url=database_url,
        redis_url=restartable_redis.url,
        inventory_engine="redis",
        environment="production",
        expiry_sweep_seconds=0,
        webhook_retry_seconds=0,
        db_pool_size=5,
        # What the cache holds outlives stopping Postgres on a loaded box (its bound is tested in
        # tests/e2e/test_catalogue_cache.py; here changes are heard by pub/sub).
        catalogue_max_age_seconds=300,
    )
    container = build_container(settings)
    app = create_app(settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    key = (await container.use_cases.register_tenant()(RegisterTenant("acme"))).api_key
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Stack(client, key, container, database_url, restartable_postgres, restartable_redis)
    finally:
        await close_container(container)
        # A failed test may have left a server down; the next test needs both.
        await asyncio.to_thread(restartable_postgres.start)
        await asyncio.to_thread(restartable_redis.start)


async def _listing(stack: Stack) -> tuple[str, dict[str, str]]:
    """A show with a free zone and a priced one; returns the listing id and the pool ids by code."""
    created = await stack.post("/v1/listings", {"kind": "event_show", "name": "Degraded"})
    assert created.status_code == 201, created.text
    listing_id = created.json()["id"]
    pools = {}
    for code, price in (("free", 0), ("paid", 2500)):
        body = {"code": code, "capacity": 10, "unit_price": price, "currency": "EUR"}
        response = await stack.post(f"/v1/listings/{listing_id}/pools", body)
        assert response.status_code == 201, response.text
        pools[code] = response.json()["id"]
    return listing_id, pools


async def _hold(stack: Stack, listing_id: str, pool_id: str) -> httpx.Response:
    body = {"listing_id": listing_id, "customer_ref": "c-1", "lines": [{"pool_id": pool_id, "quantity": 1}]}
    return await stack.post("/v1/holds", body)


async def _held(stack: Stack, listing_id: str, pool_id: str) -> str:
    response = await _hold(stack, listing_id, pool_id)
    assert response.status_code == 201, response.text
    hold_id: str = response.json()["id"]
    return hold_id


async def _booked(stack: Stack, hold_id: str) -> dict[str, Any]:
    response = await stack.post("/v1/bookings", {"hold_id": hold_id})
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return booking


async def _ready_when(stack: Stack, status: int) -> dict[str, Any]:
    """Readiness once it says ``status``: a restarted server may take a moment to accept clients."""
    for _ in range(300):  # up to about 30 s
        response = await stack.client.get("/health/ready")
        if response.status_code == status:
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"readiness never said {status}: {response.text}")


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "service_unavailable"
    assert int(response.headers["retry-after"]) > 0


async def test_without_redis_holds_are_503_reads_work_and_nothing_is_half_written(stack: Stack) -> None:
    listing_id, pools = await _listing(stack)
    free_booking = await _booked(stack, await _held(stack, listing_id, pools["free"]))
    paid_booking = await _booked(stack, await _held(stack, listing_id, pools["paid"]))
    assert (await stack.pay(paid_booking))["status"] == "confirmed"
    free_hold, paid_hold = await _held(stack, listing_id, pools["free"]), await _held(stack, listing_id, pools["paid"])
    before = await stack.rows()

    await stack.stop(stack.redis)

    ready = await stack.client.get("/health/ready")
    assert ready.status_code == 503
    assert int(ready.headers["retry-after"]) > 0
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["redis"] != "ok"
    _assert_unavailable(await _hold(stack, listing_id, pools["free"]))
    _assert_unavailable(await stack.post("/v1/bookings", {"hold_id": free_hold}))
    _assert_unavailable(await stack.post("/v1/bookings", {"hold_id": paid_hold}))
    _assert_unavailable(await stack.post(f"/v1/bookings/{free_booking['id']}/cancel"))
    for path in (
        "/v1/listings",
        f"/v1/listings/{listing_id}",
        f"/v1/listings/{listing_id}/pools",
        "/v1/bookings",
        f"/v1/bookings/{free_booking['id']}",
        f"/v1/bookings/{paid_booking['id']}/history",
        f"/v1/bookings/{paid_booking['id']}/disputes",
        "/v1/ledger/accounts",
        f"/v1/ledger/bookings/{paid_booking['id']}",
    ):
        response = await stack.get(path)
        assert response.status_code == 200, (path, response.text)
    assert (await stack.post("/v1/listings", {"kind": "flight", "name": "HF2"})).status_code == 201
    assert await stack.rows() == before
    assert (await stack.get(f"/v1/bookings/{free_booking['id']}")).json()["status"] == "confirmed"

    await stack.start(stack.redis)

    assert (await _ready_when(stack, 200))["checks"] == {
        "database": "ok",
        "schema": "ok",
        "redis": "ok",
        "inventory": "ok",
    }
    assert (await _booked_once_back(stack, free_hold))["status"] == "confirmed"
    assert (await _booked_once_back(stack, paid_hold))["status"] == "pending_payment"
    assert (await _hold(stack, listing_id, pools["free"])).status_code == 201


async def _booked_once_back(stack: Stack, hold_id: str) -> dict[str, Any]:
    """Book as a client told 503 + Retry-After would: a pooled Redis connection opened before the
    restart fails once when it is next used (then the pool opens a new one), so a request right
    after readiness turns green may still be a 503, never a half-done one."""
    for _ in range(5):
        response = await stack.post("/v1/bookings", {"hold_id": hold_id})
        if response.status_code != 503:
            break
        assert int(response.headers["retry-after"]) > 0
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return booking


async def _changes_heard(stack: Stack) -> None:
    """Until the app's catalogue has heard every change published so far. A change heard after the
    cache was warmed (the listing's own creation, heard late on a loaded box) empties it again,
    and a hold with Postgres stopped then has nothing to read from. Redis delivers a channel's
    messages in order: once a marker published now is heard, so is everything before it."""
    changes = stack.container.gateways.catalogue()._changes
    marker, heard = f"test-marker:{uuid4()}", asyncio.Event()
    forget = changes._heard

    def spy(name: str) -> None:
        forget(name)
        if name == marker:
            heard.set()

    changes._heard = spy
    try:
        await stack.container.gateways.redis().publish(changes.channel, marker)
        await asyncio.wait_for(heard.wait(), timeout=30)
    finally:
        changes._heard = forget


async def test_without_postgres_requests_needing_it_are_503_and_holds_go_on(stack: Stack) -> None:
    await stack.container.gateways.catalogue().ready()  # changes heard: what is read is kept
    listing_id, pools = await _listing(stack)
    await _changes_heard(stack)  # the listing's own changes cannot empty the cache warmed next
    hold_id = await _held(stack, listing_id, pools["free"])  # the catalogue cache is warm

    await stack.stop(stack.postgres)

    ready = await stack.client.get("/health/ready")
    assert ready.status_code == 503
    assert int(ready.headers["retry-after"]) > 0
    assert ready.json()["checks"]["redis"] == "ok"
    assert ready.json()["checks"]["database"] != "ok"
    _assert_unavailable(await stack.get("/v1/listings"))
    assert (await _hold(stack, listing_id, pools["free"])).status_code == 201  # Redis alone
    _assert_unavailable(await stack.post("/v1/bookings", {"hold_id": hold_id}))
    assert await stack.counters(pools["free"]) == (2, 0)
    assert await stack.hold_status(hold_id) is HoldStatus.ACTIVE

    await stack.start(stack.postgres)

    assert (await _ready_when(stack, 200))["checks"] == {
        "database": "ok",
        "schema": "ok",
        "redis": "ok",
        "inventory": "ok",
    }
    assert (await stack.get("/v1/listings")).status_code == 200
    assert (await _booked(stack, hold_id))["status"] == "confirmed"
    assert await stack.counters(pools["free"]) == (1, 1)


@pytest.fixture
def postgres_dies_on(stack: Stack) -> Iterator[dict[str, str]]:
    """Stops Postgres just before the statement (or the commit) named by the test is sent."""
    engine = stack.container.gateways.database().engine.sync_engine
    armed: dict[str, str] = {}

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if armed.get("statement") and armed["statement"] in statement.upper():  # a CTE may lead with WITH
            armed.clear()
            stack.postgres.stop()

    def before_commit(_conn: Any) -> None:
        if armed.pop("commit", None):
            stack.postgres.stop()

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", before_commit)
    try:
        yield armed
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)
        event.remove(engine, "commit", before_commit)


async def test_postgres_dying_as_a_booking_is_written_leaves_the_hold_as_it_was(
    stack: Stack, postgres_dies_on: dict[str, str]
) -> None:
    listing_id, pools = await _listing(stack)
    hold_id = await _held(stack, listing_id, pools["free"])
    before = await stack.rows()

    postgres_dies_on["statement"] = "INSERT INTO BOOKINGS"
    _assert_unavailable(await stack.post("/v1/bookings", {"hold_id": hold_id}))

    # The engine never sold what the database could not record: the hold is still active,
    # so it is booked by a retry, or expires and gives its unit back.
    assert await stack.counters(pools["free"]) == (1, 0)
    assert await stack.hold_status(hold_id) is HoldStatus.ACTIVE
    await stack.start(stack.postgres)
    await _ready_when(stack, 200)
    assert await stack.rows() == before
    assert (await _booked(stack, hold_id))["status"] == "confirmed"
    assert await stack.counters(pools["free"]) == (0, 1)


async def test_postgres_dying_at_the_commit_of_a_booking_is_healed_by_the_retry(
    stack: Stack, postgres_dies_on: dict[str, str]
) -> None:
    listing_id, pools = await _listing(stack)
    hold_id = await _held(stack, listing_id, pools["free"])
    before = await stack.rows()

    postgres_dies_on["commit"] = "yes"
    _assert_unavailable(await stack.post("/v1/bookings", {"hold_id": hold_id}))

    # The one step no ordering can close: Redis confirmed the hold, the commit was lost. The
    # unit is sold, never oversold; the client's retry (503 asks for one) writes the booking.
    await stack.start(stack.postgres)
    await _ready_when(stack, 200)
    assert await stack.rows() == before
    assert await stack.counters(pools["free"]) == (0, 1)
    retried = await stack.post("/v1/bookings", {"hold_id": hold_id})
    assert retried.status_code == 201, retried.text
    assert retried.json()["status"] == "confirmed"
    assert await stack.counters(pools["free"]) == (0, 1)
    assert (await stack.rows())["bookings"] == before["bookings"] + 1


async def test_postgres_dying_as_a_cancellation_is_written_keeps_the_units_sold(
    stack: Stack, postgres_dies_on: dict[str, str]
) -> None:
    listing_id, pools = await _listing(stack)
    booking = await _booked(stack, await _held(stack, listing_id, pools["free"]))

    postgres_dies_on["statement"] = "INSERT INTO OUTBOX"
    _assert_unavailable(await stack.post(f"/v1/bookings/{booking['id']}/cancel"))

    # The booking still holds its unit in the record, so the engine must not sell it again.
    assert await stack.counters(pools["free"]) == (0, 1)
    await stack.start(stack.postgres)
    await _ready_when(stack, 200)
    assert (await stack.get(f"/v1/bookings/{booking['id']}")).json()["status"] == "confirmed"
    retried = await stack.post(f"/v1/bookings/{booking['id']}/cancel")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "cancelled"
    assert await stack.counters(pools["free"]) == (0, 0)


class _RedisDiesDuringRefund:
    """The fake gateway, but Redis goes down while it makes a refund: after the request's
    Idempotency-Key was claimed in Redis, before the answer is stored there."""

    def __init__(self, gateway: Any, redis: RestartableServer) -> None:
        self._gateway, self._redis = gateway, redis

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    async def refund(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.to_thread(self._redis.stop)
        return await self._gateway.refund(*args, **kwargs)


async def test_redis_dying_as_a_keyed_refund_is_made_answers_the_refund(stack: Stack) -> None:
    """A refund needs only Postgres and the gateway, so it is made while Redis goes away; the
    README says a refund's 503 means nothing was recorded, so the truthful answer is the refund.
    It used to be a bare text/plain 500: storing the key's response failed after the refund was
    made (and Litestar, seeing the recorded response as started, could not even map it)."""
    listing_id, pools = await _listing(stack)
    booking = await _booked(stack, await _held(stack, listing_id, pools["paid"]))
    assert (await stack.pay(booking))["status"] == "confirmed"
    gateway = stack.container.gateways.payments()
    stack.container.gateways.payments.override(providers.Object(_RedisDiesDuringRefund(gateway, stack.redis)))
    try:
        answer = await stack.client.post(
            f"/v1/bookings/{booking['id']}/refunds",
            json={"amount": 1000, "reason": "goodwill"},
            headers={"X-API-Key": stack.key, "Idempotency-Key": "refund-1"},
        )
    finally:
        stack.container.gateways.payments.reset_override()

    assert [refund.amount for refund in await gateway.list_refunds(booking["payment"]["intent_id"])] == [1000]
    assert answer.status_code == 201, (answer.status_code, answer.headers.get("content-type"), answer.text)
    assert answer.json()["refund"]["amount"]["amount"] == 1000
