"""End-to-end fixtures: the real app over HTTP, on the embedded default and the production profile.

Every e2e test runs twice: on SQLite with the SQL engine (what `make run` serves), and on the
real Postgres and Redis servers with the Redis engine. Only the clock is faked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from redis.asyncio import Redis

from application.use_cases.authorize_operator import OPERATOR_SCOPE
from application.use_cases.issue_api_key import IssueApiKey
from application.use_cases.register_tenant import RegisterTenant
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.databases import migrated_postgres, truncate_all
from tests.fakes.clock import FakeClock

E2E_DATABASE = "holdfast_e2e"
E2E_REDIS_DB = 3


@pytest.fixture(scope="session")
def e2e_postgres_url(postgres_url: str) -> str:
    """A database of its own on the session's Postgres, migrated to head."""
    return migrated_postgres(postgres_url, E2E_DATABASE)


async def _empty_redis(url: str) -> None:
    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


# The tests' webhook receivers listen on loopback over plain http: both are refused unless allowed.
LOCAL_RECEIVERS: dict[str, Any] = {"webhook_private_targets": "allow", "webhook_plain_http": "allow"}


@pytest.fixture(params=["embedded", "production"])
async def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "embedded":
        return Settings(database_url=request.getfixturevalue("sqlite_url"), expiry_sweep_seconds=0, **LOCAL_RECEIVERS)
    database_url: str = request.getfixturevalue("e2e_postgres_url")
    redis_url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + f"/{E2E_REDIS_DB}"
    await truncate_all(database_url)
    await _empty_redis(redis_url)
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        inventory_engine="redis",
        environment="production",
        expiry_sweep_seconds=0,
        db_pool_size=5,
        **LOCAL_RECEIVERS,
    )


@dataclass
class Api:
    """The HTTP client as one tenant sees the API."""

    client: httpx.AsyncClient
    key: str
    clock: FakeClock

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"X-API-Key": self.key, **(headers or {})}

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return await self.client.post(path, json=body, headers=headers, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return await self.client.patch(path, json=body, headers=headers, **kw)

    async def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return await self.client.put(path, json=body, headers=headers, **kw)

    async def delete(self, path: str, **kw: Any) -> Any:
        return await self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


@dataclass
class World:
    api: Api  # tenant "acme"
    other: Api  # tenant "globex": must never see acme's objects
    client: httpx.AsyncClient
    clock: FakeClock
    container: Any


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    clock = FakeClock()
    container = build_container(settings)
    container.core.clock.override(providers.Object(clock))
    app = create_app(settings, container)
    # In the test's own event loop (Litestar's test client would run the app in another one,
    # and pooled connections cannot cross loops); the lifespan's only duty here is closing.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        register = container.use_cases.register_tenant()
        acme = await register(RegisterTenant("acme"))
        globex = await register(RegisterTenant("globex"))
        try:
            yield World(Api(client, acme.api_key, clock), Api(client, globex.api_key, clock), client, clock, container)
        finally:
            await close_container(container)


@pytest.fixture
async def operator(world: World) -> Api:
    """A client with an operator key (for /v1/ops), of its own tenant."""
    await world.container.use_cases.register_tenant()(RegisterTenant("ops"))
    issue = world.container.use_cases.issue_api_key()
    key = await issue(IssueApiKey("ops", "operator", (OPERATOR_SCOPE,)))
    return Api(world.client, key, world.clock)
