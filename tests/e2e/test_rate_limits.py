"""Rate limits over HTTP, on both profiles (the in-process limiter on the embedded default, the
Redis one on production): a burst then 429 with its headers, tokens back on the (fake) clock,
buckets per identity and per client address, trusted proxies, authentication first, a refusal
that costs no database statement and reads no body, the hot path answering as the route, the
public sign-in routes, and a limiter that cannot be reached (503).

Every rule here is small (2 holds, then one a second) so that a test can run out; the clock is
the world's fake one, which only the tests move.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from litestar import Litestar, Router, post
from litestar.datastructures import State
from loguru import logger
from redis.asyncio import Redis
from sqlalchemy import event

from application.use_cases.issue_api_key import IssueApiKey
from application.use_cases.register_tenant import RegisterTenant
from infrastructure.container import build_container, close_container
from infrastructure.rate_limits.memory import InProcessRateLimiter
from infrastructure.rate_limits.redis import RedisLuaRateLimiter
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.rate_limits import RateGate, rate_limit_middleware
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import make_listing
from tests.e2e.test_metrics import scrape, value
from tests.fakes.clock import FakeClock

PROXY = "10.9.9.9"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The profile's settings with small holds and sign-in buckets: 2 at once, then 1 a second."""
    return replace(settings, rate_limit_holds="1/s burst 2", rate_limit_auth="1/s burst 2", trusted_proxies=(PROXY,))


def _client(world: World, app: Any = None, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    app = app or world.client._transport.app  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 4321)), base_url="http://testserver")


async def _key(world: World, tenant: str = "acme") -> str:
    """Another key of ``tenant``: another identity, with buckets of its own."""
    return await world.container.use_cases.issue_api_key()(IssueApiKey(tenant, "another"))


async def _hold(client: httpx.AsyncClient, key: str, listing: str, pool: str, **headers: str) -> httpx.Response:
    body = {"listing_id": listing, "customer_ref": "c-1", "lines": [{"pool_id": pool, "quantity": 1}]}
    return await client.post("/v1/holds", json=body, headers={"X-API-Key": key, **headers})


def _limits(response: httpx.Response) -> tuple[str | None, ...]:
    names = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")
    return tuple(response.headers.get(name) for name in names)


@pytest.fixture
async def listing(world: World) -> tuple[str, str]:
    listing_id, pools = await make_listing(world.api, (("a", 100, 1000),))
    return listing_id, pools["a"]


async def test_a_burst_is_placed_then_refused_with_429_and_its_headers(world: World, listing: tuple[str, str]) -> None:
    answers = [await _hold(world.client, world.api.key, *listing) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert [_limits(a) for a in answers] == [("2", "1", "1", None), ("2", "0", "2", None), ("2", "0", "2", "1")]
    refused = answers[2]
    assert refused.headers["content-type"] == "application/problem+json"
    correlation = refused.headers["X-Correlation-ID"]
    assert refused.json() == {
        "type": "urn:holdfast:problem:rate_limited",
        "title": "Rate limited",
        "status": 429,
        "detail": "too many requests; retry in 1 s",
        "code": "rate_limited",
        "correlation_id": correlation,
    }


async def test_tokens_come_back_with_time(world: World, listing: tuple[str, str]) -> None:
    for _ in range(2):
        await _hold(world.client, world.api.key, *listing)
    assert (await _hold(world.client, world.api.key, *listing)).status_code == 429
    world.clock.advance(0.5)
    assert (await _hold(world.client, world.api.key, *listing)).status_code == 429
    world.clock.advance(0.5)
    placed = await _hold(world.client, world.api.key, *listing)
    assert (placed.status_code, _limits(placed)) == (201, ("2", "0", "2", None))


@pytest.fixture
def statements(world: World) -> Iterator[list[str]]:
    """Every statement the app sends its database while the test runs."""
    engine = world.container.gateways.database().engine.sync_engine
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_refusal_sends_no_statement_reads_no_body_and_stores_no_idempotency_key(
    world: World, listing: tuple[str, str], statements: list[str]
) -> None:
    for _ in range(2):
        assert (await _hold(world.client, world.api.key, *listing)).status_code == 201
    statements.clear()
    refused = [
        await _hold(world.client, world.api.key, *listing),  # the hot path
        await _hold(world.client, world.api.key, *listing, **{"Idempotency-Key": "k-1"}),  # the route
        await world.client.post(  # a body the route would refuse (400): never read
            "/v1/holds", content=b"{not json", headers={"X-API-Key": world.api.key, "Content-Type": "application/json"}
        ),
    ]
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert statements == []
    world.clock.advance(1)
    # the key was never stored: another request under it runs (a stored one would be 422)
    other = await world.client.post(
        "/v1/holds",
        json={"listing_id": listing[0], "customer_ref": "c-2", "lines": [{"pool_id": listing[1], "quantity": 2}]},
        headers={"X-API-Key": world.api.key, "Idempotency-Key": "k-1"},
    )
    assert other.status_code == 201, other.text


async def test_each_identity_has_its_own_bucket(world: World, listing: tuple[str, str]) -> None:
    async with _client(world, ip="198.51.100.1") as one, _client(world, ip="198.51.100.2") as two:
        for _ in range(2):
            await _hold(one, world.api.key, *listing)
        assert (await _hold(one, world.api.key, *listing)).status_code == 429
        async with _client(world, ip="198.51.100.3") as three:  # the same key from elsewhere: still spent
            assert (await _hold(three, world.api.key, *listing)).status_code == 429
        assert (await _hold(two, await _key(world), *listing)).status_code == 201  # another key of acme
        assert (await world.client.get("/v1/listings", headers={"X-API-Key": world.api.key})).status_code == 200


async def test_each_client_address_has_its_own_bucket(world: World, listing: tuple[str, str]) -> None:
    keys = [await _key(world) for _ in range(3)]
    async with _client(world, ip="198.51.100.4") as shared, _client(world, ip="198.51.100.5") as elsewhere:
        assert [(await _hold(shared, key, *listing)).status_code for key in keys] == [201, 201, 429]
        assert (await _hold(elsewhere, keys[2], *listing)).status_code == 201


async def test_forwarded_for_counts_only_from_a_trusted_proxy(world: World, listing: tuple[str, str]) -> None:
    keys = [await _key(world) for _ in range(6)]
    async with _client(world, ip=PROXY) as proxy, _client(world, ip="198.51.100.6") as direct:
        # behind the proxy: each client address has its own bucket
        behind = [
            (await _hold(proxy, key, *listing, **{"X-Forwarded-For": "203.0.113.1"})).status_code for key in keys[:3]
        ]
        assert behind == [201, 201, 429]
        assert (await _hold(proxy, keys[3], *listing, **{"X-Forwarded-For": "203.0.113.2"})).status_code == 201
        # not a proxy: what it forwards is not believed, its own address is counted
        spoofed = [
            (await _hold(direct, key, *listing, **{"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n, key in enumerate(keys[3:], 10)
        ]
        assert spoofed == [201, 201, 429]


async def test_a_bad_key_is_401_even_from_an_address_with_no_tokens_left(
    world: World, listing: tuple[str, str]
) -> None:
    for _ in range(3):
        await _hold(world.client, world.api.key, *listing)
    for path in ("/v1/holds", "/v1/holds/"):  # hot path and route
        refused = await world.client.post(path, json={}, headers={"X-API-Key": "wrong"})
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")


@pytest.fixture
async def routed(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(world, create_app(world.container.settings(), world.container, hot_path=False)) as client:
        yield client


async def test_the_hot_path_refuses_exactly_as_the_route(
    world: World, routed: httpx.AsyncClient, listing: tuple[str, str]
) -> None:
    for _ in range(2):
        await _hold(world.client, world.api.key, *listing)
    answers = []
    # The route's refusal, then the hot path's twice: on Redis the second is told from the
    # process's latch (``RateGate.known_refusal``, rendered once), and must not differ either.
    for client in (routed, world.client, world.client):
        response = await _hold(client, world.api.key, *listing, **{"X-Correlation-ID": "same-429"})
        headers = sorted((k, v) for k, v in response.headers.items() if k not in ("date", "server"))
        answers.append((response.status_code, headers, response.content))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 429


async def test_public_sign_in_routes_are_counted_by_address(world: World) -> None:
    """The sign-in routes have no identity yet: their router (another part of issue 11) runs
    ``rate_limit_middleware`` with no authentication before it; here, a stand-in login route."""

    @post("/login", status_code=200, sync_to_thread=False)
    def login() -> dict[str, str]:
        return {"token": "t"}

    container = world.container
    state = State({"container": container, "rate_gate": RateGate(container)})
    auth = Router(path="/v1/auth", route_handlers=[login], middleware=[rate_limit_middleware])
    app = Litestar(route_handlers=[auth], state=state, exception_handlers=EXCEPTION_HANDLERS)
    async with _client(world, app, ip="198.51.100.7") as one, _client(world, app, ip="198.51.100.8") as two:
        answers = [await one.post("/v1/auth/login") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert _limits(answers[2]) == ("2", "0", "2", "1")
        assert answers[2].json()["code"] == "rate_limited"
        assert (await two.post("/v1/auth/login")).status_code == 200


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def limiter_redis_gone(settings: Settings) -> AsyncIterator[tuple[Any, FakeClock, Redis]]:
    """A container whose rate limiter's Redis is gone (nobody listens on its port); the rest is fine."""
    clock = FakeClock()
    container = build_container(settings)
    container.core.clock.override(providers.Object(clock))
    gone = Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=1)
    try:
        yield container, clock, gone
    finally:
        await gone.aclose()
        await close_container(container)


async def _served(container: Any, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    app = create_app(settings, container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client, (await container.use_cases.register_tenant()(RegisterTenant("initech"))).api_key


async def test_without_its_redis_the_limiter_counts_in_the_process(
    limiter_redis_gone: tuple[Any, FakeClock, Redis], settings: Settings
) -> None:
    """As the container wires it: what needs no Redis keeps working (degraded mode), still limited."""
    container, clock, gone = limiter_redis_gone
    limiter = RedisLuaRateLimiter(gone, clock, fallback=InProcessRateLimiter(clock))
    container.gateways.rate_limiter.override(providers.Object(limiter))
    async for client, key in _served(container, settings):
        api = Api(client, key, clock)
        listing_id, pools = await make_listing(api, (("a", 100, 1000),))
        answers = [await _hold(client, key, listing_id, pools["a"]) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert _limits(answers[2]) == ("2", "0", "2", "1")


async def test_a_limiter_that_cannot_count_is_503_with_retry_after(
    limiter_redis_gone: tuple[Any, FakeClock, Redis], settings: Settings
) -> None:
    """A limiter with no fallback whose Redis is gone: the check fails, on the hot path and the route alike."""
    container, clock, gone = limiter_redis_gone
    container.gateways.rate_limiter.override(providers.Object(RedisLuaRateLimiter(gone, clock)))
    async for client, key in _served(container, settings):
        for method, path in (("POST", "/v1/holds"), ("GET", "/v1/listings")):  # hot path, route
            body = {} if method == "POST" else None
            response = await client.request(method, path, json=body, headers={"X-API-Key": key})
            assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")
            assert response.headers["Retry-After"] == "5"


async def test_every_authenticated_operation_documents_429_and_the_headers(world: World) -> None:
    document = (await world.client.get("/schema/openapi.json")).json()
    limited = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/v1/") or path.startswith(("/v1/ops", "/v1/webhooks")):
                continue
            limited += 1
            answer = operation["responses"]["429"]
            assert "`rate_limited`" in answer["description"], (method, path)
            assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
                answer["headers"]
            )
            ok = next(r for status, r in operation["responses"].items() if status.startswith("2"))
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(ok["headers"]), (
                method,
                path,
            )
    assert limited > 20
    assert json.dumps(document["paths"]["/v1/ops/jobs"]).count("rate_limited") == 0


async def test_audit_lines_name_the_client_a_trusted_proxy_forwards(world: World) -> None:
    """The audit log reads the client's address as the limits do: behind a trusted proxy, from
    its X-Forwarded-For; a client that is not a proxy is named by its own address."""
    async with _client(world, ip=PROXY) as proxy, _client(world, ip="198.51.100.6") as direct:
        headers = {"X-API-Key": world.api.key, "X-Forwarded-For": "203.0.113.7"}
        via_proxy = await proxy.post("/v1/listings", json={"kind": "event_show", "name": "P"}, headers=headers)
        spoofed = await direct.post("/v1/listings", json={"kind": "event_show", "name": "D"}, headers=headers)
    assert (via_proxy.status_code, spoofed.status_code) == (201, 201)
    rows = (await world.api.get("/v1/admin/audit-logs", params={"action": "listing.create"})).json()["items"]
    ips = {row["entity_id"]: row["ip"] for row in rows}
    assert ips == {via_proxy.json()["id"]: "203.0.113.7", spoofed.json()["id"]: "198.51.100.6"}


async def test_a_flood_of_refusals_is_counted_each_and_logged_in_a_line_a_second(
    world: World, settings: Settings, listing: tuple[str, str]
) -> None:
    """A client that goes on after its 429: each refusal is answered (with its own correlation id)
    and counted in the metrics, but those the process already knows (Redis' latch) are logged in
    one tally line per identity and second, not a line each (``RefusalTally``). The embedded
    default's limiter counts in memory and knows none ahead: a line each there."""
    before = value(await scrape(world), "holdfast_http_requests_total", method="POST", route="/v1/holds", status="429")
    records: list[dict[str, Any]] = []
    sink = logger.add(lambda message: records.append(message.record), level="INFO", format="{message}")
    try:
        for _ in range(2):
            await _hold(world.client, world.api.key, *listing)
        refused = [await _hold(world.client, world.api.key, *listing) for _ in range(6)]
        world.client._transport.app.hot_path.refusals.flush()  # type: ignore[attr-defined]
    finally:
        logger.remove(sink)
    assert [r.status_code for r in refused] == [429] * 6
    idents = [r.headers["X-Correlation-ID"] for r in refused]
    assert len(set(idents)) == 6
    after = value(await scrape(world), "holdfast_http_requests_total", method="POST", route="/v1/holds", status="429")
    assert after - before == 6
    lines = [r for r in records if r["extra"].get("status") == 429]
    tallies = [r for r in lines if "refused" in r["extra"]]
    one_each = [r for r in lines if "refused" not in r["extra"]]
    assert len(one_each) + sum(r["extra"]["refused"] for r in tallies) == 6
    if settings.rate_limit_store == "redis":  # the first refusal asks Redis; the rest are known
        assert (len(one_each), len(tallies)) == (1, 1)
        [tally] = tallies
        assert tally["extra"]["refused"] == 5
        assert (tally["extra"]["correlation_id"], tally["extra"]["last_correlation_id"]) == (idents[1], idents[-1])
        assert tally["extra"]["subject"].startswith("key:")
        assert tally["extra"]["tenant_id"] == one_each[0]["extra"]["tenant_id"]
        assert tally["message"].startswith("POST /v1/holds 429 rate_limited x5")
    else:
        assert (len(one_each), tallies) == (6, [])
