"""ops/holdfast.http: what the generator makes of today's OpenAPI document (so it cannot drift),
one request per route, and every request as written is accepted by the service's decoder."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from application.use_cases.authorize_operator import OPERATOR_SCOPE
from application.use_cases.issue_api_key import IssueApiKey
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from interfaces.demo import DEMO_TENANT, load_demo
from interfaces.http.app import create_app
from interfaces.http_collection import collection, openapi_document

COLLECTION = Path(__file__).resolve().parents[2] / "ops" / "holdfast.http"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
REFUSED_AS_WRITTEN = {"validation_failed", "unsupported_media_type", "method_not_allowed"}


@dataclass(frozen=True)
class Request:
    title: str
    method: str
    url: str
    headers: dict[str, str]
    body: str


def _parse(text: str) -> tuple[dict[str, str], list[Request]]:
    """The REST Client format: ``@name = value`` lines, then ``###``-separated requests, each a
    request line, headers, a blank line and the body; ``#`` lines are comments."""
    head, *blocks = text.split("\n### ")
    variables = dict(re.findall(r"^@(\w+) = (.+)$", head, re.M))
    requests = []
    for block in blocks:
        title, *lines = block.split("\n")
        lines = [line for line in lines if not line.startswith("#")]
        blank = lines.index("") if "" in lines else len(lines)
        method, url = lines[0].split(" ")
        headers = dict(line.split(": ", 1) for line in lines[1:blank])
        requests.append(Request(title, method, url, headers, "\n".join(lines[blank + 1 :]).strip()))
    return variables, requests


def _fill(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"{{(\w+)}}", lambda m: variables[m.group(1)], text)


def test_the_committed_collection_is_what_the_generator_makes_now() -> None:
    assert COLLECTION.read_text() == collection(openapi_document()), (
        "regenerate it: .venv/bin/python -m interfaces.http_collection > ops/holdfast.http"
    )


def test_every_route_has_one_request_that_parses() -> None:
    variables, requests = _parse(COLLECTION.read_text())
    spec = openapi_document()
    routes = {(method.upper(), path) for path, operations in spec["paths"].items() for method in operations}
    assert {(r.method, re.sub(r"{{(\w+)}}", r"{\1}", r.url.removeprefix("{{host}}"))) for r in requests} == routes
    assert len(requests) == len(routes)
    for request in requests:
        assert request.method in METHODS, request.title
        assert request.url.startswith("{{host}}/"), request.title
        assert set(re.findall(r"{{(\w+)}}", request.url + request.body)) <= set(variables), request.title
        if request.body:
            assert request.headers["Content-Type"] == "application/json", request.title
            json.loads(request.body)


@dataclass(frozen=True)
class Service:
    client: httpx.AsyncClient
    operator_key: str  # the demo tenant's, for /v1/ops: its bodies are read only past the key check


@pytest.fixture
async def service(sqlite_url: str) -> AsyncIterator[Service]:
    settings = Settings.from_env({"HOLDFAST_DATABASE_URL": sqlite_url})
    container = build_container(settings)
    await load_demo(container)
    operator_key = await container.use_cases.issue_api_key()(IssueApiKey(DEMO_TENANT, "operator", (OPERATOR_SCOPE,)))
    transport = httpx.ASGITransport(app=create_app(settings, container))
    async with httpx.AsyncClient(transport=transport) as http:
        try:
            yield Service(http, operator_key)
        finally:
            await close_container(container)


async def test_every_request_is_accepted_as_written_by_the_running_service(service: Service) -> None:
    """Ids that name nothing are 404; what no request may get is a refusal of its shape: a body,
    header or method the API does not take."""
    variables, requests = _parse(COLLECTION.read_text())
    for request in requests:
        operator = {"key": service.operator_key} if request.url.startswith("{{host}}/v1/ops/") else {}
        headers = {name: _fill(value, {**variables, **operator}) for name, value in request.headers.items()}
        response = await service.client.request(
            request.method,
            _fill(request.url, variables),
            headers=headers,
            content=_fill(request.body, variables).encode() or None,
        )
        assert response.status_code < 500, f"{request.title}: {response.text}"
        if response.status_code >= 400:
            assert response.json().get("code") not in REFUSED_AS_WRITTEN, f"{request.title}: {response.text}"
            assert response.status_code != 403, f"{request.title}: {response.text}"
