"""API keys are stored only as hashes; production logs are JSON lines with the correlation id."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3

import httpx
from loguru import logger

from application.use_cases.register_tenant import RegisterTenant
from infrastructure.container import build_container, close_container
from infrastructure.logging import configure_logging
from infrastructure.settings import Settings
from interfaces.http.app import create_app


async def test_keys_are_stored_hashed_and_only_hashed(sqlite_url: str) -> None:
    container = build_container(Settings(database_url=sqlite_url))
    try:
        registered = await container.use_cases.register_tenant()(RegisterTenant("acme"))
    finally:
        await close_container(container)

    dump = "\n".join(sqlite3.connect(sqlite_url.split(":///", 1)[1]).iterdump())
    assert registered.api_key.startswith("hf_")
    assert len(registered.api_key) > 40
    assert registered.api_key not in dump
    assert hashlib.sha256(registered.api_key.encode()).hexdigest() in dump


async def test_production_logs_are_json_lines_with_the_correlation_id(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, environment="production")
    container = build_container(settings)
    registered = await container.use_cases.register_tenant()(RegisterTenant("acme"))
    app = create_app(settings, container)  # configures logging for production
    sink = io.StringIO()
    sink_id = logger.add(sink, serialize=True, level="INFO")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            await client.get("/v1/listings", headers={"X-Correlation-ID": "trace-42", "X-API-Key": "nope"})
            # Refused by the idempotency middleware, outside the route's handlers: still logged 400.
            bad_key = {"X-Correlation-ID": "trace-43", "X-API-Key": registered.api_key, "Idempotency-Key": ""}
            refused = await client.post("/v1/listings", json={"kind": "flight", "name": "x"}, headers=bad_key)
    finally:
        logger.remove(sink_id)
        await close_container(container)
        configure_logging(Settings())

    records = [json.loads(line)["record"] for line in sink.getvalue().splitlines()]
    access = [r for r in records if r["message"].startswith("GET /v1/listings")]
    assert access, records
    assert access[0]["extra"]["correlation_id"] == "trace-42"
    assert access[0]["extra"]["status"] == 401
    assert refused.status_code == 400
    [logged] = [r for r in records if r["extra"].get("correlation_id") == "trace-43" and "status" in r["extra"]]
    assert logged["extra"]["status"] == 400
