"""A request without a valid key is answered 401 before its body is read or validated.

Authentication is the first thing a /v1 request meets: neither the body's strict decoding (a
400), nor its size (a 413), nor the Idempotency-Key middleware (which reads the body to
fingerprint it) gets to a request that authenticates nobody.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import World

NO_KEY: dict[str, str] = {}
BAD_KEY = {"X-API-Key": "hf_not-a-key"}
JSON = {"Content-Type": "application/json"}
SOME_ID = "00000000-0000-4000-8000-000000000000"
BODIES = {
    "empty object": b"{}",
    "not JSON": b"{not json",
    "wrong types": b'{"listing_id": 1, "customer_ref": [], "lines": "x"}',
    "too large": b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}',
}


def _unauthenticated(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("key", [NO_KEY, BAD_KEY], ids=["no key", "bad key"])
async def test_a_hold_without_a_valid_key_is_401_whatever_its_body(
    world: World, key: dict[str, str], body: bytes
) -> None:
    response = await world.client.post("/v1/holds", content=body, headers={**JSON, **key})

    _unauthenticated(response)


@pytest.mark.parametrize("body", [b"{}", b"{not json"], ids=["empty object", "not JSON"])
async def test_a_keyed_request_with_a_bad_key_is_401_before_the_idempotency_key_is_looked_at(
    world: World, body: bytes
) -> None:
    # An empty Idempotency-Key is a 400 for an authenticated caller; without one, it is the 401.
    for idempotency_key in ("k-1", ""):
        headers = {**JSON, **BAD_KEY, "Idempotency-Key": idempotency_key}
        _unauthenticated(await world.client.post("/v1/holds", content=body, headers=headers))


def _operations_needing_a_key(spec: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            needs_key = any("ApiKey" in scheme for scheme in operation.get("security", spec.get("security", [])))
            if path.startswith("/v1/") and needs_key:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", SOME_ID, path)))
    return found


async def test_every_v1_route_needing_a_key_answers_401_before_judging_the_body(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    operations = _operations_needing_a_key(spec)
    assert len(operations) > 20, operations  # the walk found the API, not an empty document

    for method, path in operations:
        for key in (NO_KEY, BAD_KEY):
            for idempotency in ({}, {"Idempotency-Key": "walk-1"}):
                headers = {**JSON, **key, **idempotency}
                response = await world.client.request(method, path, content=b"{not json", headers=headers)
                assert response.status_code == 401, (method, path, key, idempotency, response.text)
                assert response.json()["code"] == "unauthenticated", (method, path)
