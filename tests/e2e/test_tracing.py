"""With HOLDFAST_OTEL on, each HTTP request is a span, and its log lines carry the span's ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from loguru import logger
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from application.use_cases.register_tenant import RegisterTenant
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app


@dataclass
class Traced:
    client: httpx.AsyncClient
    key: str
    tenant_id: str
    spans: InMemorySpanExporter
    lines: list[dict[str, Any]]


async def _traced(settings: Settings) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    container = build_container(settings)
    container.gateways.tracer_provider.override(providers.Object(provider))
    app = create_app(settings, container)
    lines: list[dict[str, Any]] = []
    logger.add(lambda message: lines.append(message.record))  # after create_app configured logging
    tenant = await container.use_cases.register_tenant()(RegisterTenant("acme"))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Traced(client, tenant.api_key, str(tenant.tenant.id), exporter, lines)
    finally:
        await close_container(container)


@pytest.fixture
async def traced(sqlite_url: str) -> AsyncIterator[Traced]:
    async for world in _traced(Settings(database_url=sqlite_url, expiry_sweep_seconds=0, otel="console")):
        yield world


@pytest.fixture
async def untraced(sqlite_url: str) -> AsyncIterator[Traced]:
    async for world in _traced(Settings(database_url=sqlite_url, expiry_sweep_seconds=0)):
        yield world


def _request_lines(world: Traced, correlation: str) -> list[dict[str, Any]]:
    return [line for line in world.lines if line["extra"]["correlation_id"] == correlation]


async def test_a_request_is_a_span_and_its_log_lines_carry_its_ids(traced: Traced) -> None:
    headers = {"X-API-Key": traced.key, "X-Correlation-ID": "trace-me"}
    response = await traced.client.get("/v1/listings", headers=headers)
    assert response.status_code == 200

    [server] = [span for span in traced.spans.get_finished_spans() if span.kind is SpanKind.SERVER]
    assert server.name == "GET /v1/listings"
    assert server.attributes is not None
    assert server.attributes["http.status_code"] == 200
    lines = _request_lines(traced, "trace-me")
    assert lines  # at least the access-log line
    for line in lines:
        assert line["extra"]["trace_id"] == format(server.context.trace_id, "032x")
        assert line["extra"]["span_id"] == format(server.context.span_id, "016x")


async def test_probes_are_not_traced(traced: Traced) -> None:
    assert (await traced.client.get("/health/live")).status_code == 200
    assert traced.spans.get_finished_spans() == ()


async def test_lines_after_authentication_name_the_tenant(untraced: Traced) -> None:
    headers = {"X-API-Key": untraced.key, "X-Correlation-ID": "who-is-it"}
    assert (await untraced.client.get("/v1/listings", headers=headers)).status_code == 200

    [access] = [line for line in _request_lines(untraced, "who-is-it") if line["extra"].get("status") == 200]
    assert access["extra"]["tenant_id"] == untraced.tenant_id
    assert "trace_id" not in access["extra"]
    assert untraced.spans.get_finished_spans() == ()
