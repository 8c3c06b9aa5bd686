"""A missing dependency is a 503 with Retry-After, and nothing half-done is left behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from application.use_cases.register_tenant import RegisterTenant
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.servers import free_port  # bound, then released: nothing listens there


async def _client(settings: Settings, key: str | None = None) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    container = build_container(settings)
    app = create_app(settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        if key is None:
            key = (await container.use_cases.register_tenant()(RegisterTenant("acme"))).api_key
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, key
    finally:
        await close_container(container)


@pytest.fixture
async def redis_down(sqlite_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    settings = Settings(
        database_url=sqlite_url,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        inventory_engine="redis",
        expiry_sweep_seconds=0,
    )
    async for pair in _client(settings):
        yield pair


async def test_readiness_names_the_missing_redis(redis_down: tuple[httpx.AsyncClient, str]) -> None:
    client, _ = redis_down
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] != "ok"


async def test_requests_needing_redis_get_503_and_change_nothing(redis_down: tuple[httpx.AsyncClient, str]) -> None:
    client, key = redis_down
    headers = {"X-API-Key": key}
    listing = await client.post("/v1/listings", json={"kind": "flight", "name": "HF1"}, headers=headers)
    assert listing.status_code == 201  # the catalogue needs only the database
    listing_id = listing.json()["id"]

    pool = await client.post(
        f"/v1/listings/{listing_id}/pools",
        json={"code": "1a", "capacity": 1, "unit_price": 100, "currency": "EUR"},
        headers=headers,
    )

    assert pool.status_code == 503
    assert pool.headers["retry-after"] == "5"
    assert pool.json()["code"] == "service_unavailable"
    pools = await client.get(f"/v1/listings/{listing_id}/pools", headers=headers)
    assert pools.json()["items"] == []  # the catalogue row was rolled back with the failed engine call


async def test_database_down_is_503_everywhere(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing", expiry_sweep_seconds=0
    )
    async for client, key in _client(settings, key="hf_anything"):
        ready = await client.get("/health/ready")
        listings = await client.get("/v1/listings", headers={"X-API-Key": key})
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] != "ok"
        assert listings.status_code == 503
        assert listings.headers["retry-after"] == "5"
        assert listings.json()["code"] == "service_unavailable"
