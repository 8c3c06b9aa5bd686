"""Tenant isolation over every /v1 operation of the OpenAPI document: tenant B's admin key,
driving every route with tenant A's ids, gets 404 ``not_found``: never A's data, never a change
to A (A's whole readable state, through A's key, is the same before and after each call).

An operation with no id of A in its path is driven with A's ids wherever it takes one (a body's
``listing_id`` or ``hold_id``, a ``?listing_id=`` filter): 404 too, or, when it names nothing of
A's (B listing or creating its own things), an answer that shows nothing of A.
Ids come from the registry in tests/e2e/openapi_walk.py, which fails for a parameter it does not
know: a route added later must register how to find a tenant's object of its kind.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from infrastructure.settings import Settings
from tests.e2e.conftest import World
from tests.e2e.openapi_walk import bearer_only, document, operations, populate, send, snapshot


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Rate limits off: the walk sends more requests in an instant (the clock is fake and does not
    move) than a bucket holds, and a 429 would stand for the answer this test checks. The limits
    have their own tests (test_rate_limits.py), on every route class."""
    return replace(settings, rate_limits=False)


async def test_another_tenants_ids_are_404_on_every_route_and_change_nothing(world: World) -> None:
    # /v1/auth/me names no one but its caller (a signed-in user, never an API key): nothing to sweep.
    walked = [operation for operation in operations(await document(world)) if not bearer_only(operation)]
    assert len(walked) >= 25
    a = await populate(world, world.api, "acme-private-listing")
    b = await populate(world, world.other, "globex listing")  # B has data of every kind too
    assert not a.ids() & b.ids()
    before = await snapshot(world.api, walked, a)
    secrets = [*a.ids(), a.name]

    checked = []
    for operation in walked:
        url, body, has_body = operation.request(a, uuid_queries=True)
        names_a = operation.parameters("path") or any(ident in json.dumps(body) for ident in a.ids())
        prior = await snapshot(world.api, walked, a) if operation.method != "GET" else before
        response = await send(world.other, operation, url, body, has_body)
        shown = response.text
        if names_a:
            assert response.status_code == 404, (str(operation), url, shown)
            assert response.json()["code"] == "not_found", (str(operation), shown)
        else:
            assert response.status_code < 400 or response.status_code == 404, (str(operation), url, shown)
        sent = url + json.dumps(body)  # a 404 may name the id it was asked for: that tells B nothing
        leaked = [secret for secret in secrets if secret in shown and secret not in sent]
        assert leaked == [], (str(operation), url, leaked)
        if operation.method != "GET":
            assert await snapshot(world.api, walked, a) == prior, (str(operation), url)
        checked.append(str(operation))

    assert await snapshot(world.api, walked, a) == before
    assert len(checked) == len(walked)
