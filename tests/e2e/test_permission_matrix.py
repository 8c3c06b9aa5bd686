"""The permission matrix, route by route: every /v1 operation of the app's OpenAPI document,
called with an API key of each role and with a signed-in user's token of each role, is allowed
or refused exactly as ``domain.permissions`` says. Refused: 403 ``forbidden`` and nothing
changed. Allowed: anything but 401 and 403 (and a well-formed request: never 400 or 415, nor a
5xx).

Routes come from the document, so a route added later is walked too; one the walk cannot build a
request for fails it (tests/e2e/openapi_walk.py says what to register). On the production
profile POST /v1/holds and POST /v1/bookings are answered by the hot path.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.permissions import Permission, allows, roles_allowed
from domain.roles import Role
from infrastructure.settings import Settings
from tests.e2e.conftest import Api, World
from tests.e2e.identity_helpers import Person, cheap_hashing, customer, staff
from tests.e2e.keys import key_for
from tests.e2e.openapi_walk import (
    Objects,
    Operation,
    bearer_only,
    document,
    operations,
    populate,
    send,
    snapshot,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Rate limits off: the walk sends more requests in an instant (the clock is fake and does not
    move) than a bucket holds, and a 429 would stand for the answer this test checks. The limits
    have their own tests (test_rate_limits.py), on every route class."""
    return replace(settings, rate_limits=False)


async def _users(world: World) -> dict[Role, Api | Person]:
    """A signed-in user of each role: staff invited by the admin key, a customer registered."""
    cheap_hashing(world)
    users: dict[Role, Api | Person] = {}
    for role in Role:
        if role is not Role.CUSTOMER:
            users[role] = await staff(world, f"{role.value}@matrix.example.com", role.value)
    users[Role.CUSTOMER] = await customer(world, "customer@matrix.example.com")
    return users


@pytest.mark.parametrize("credential", ["api-key", "token"])
async def test_every_operation_is_decided_by_the_matrix_for_every_role(world: World, credential: str) -> None:
    spec = await document(world)
    walked = operations(spec)
    assert len(walked) >= 25  # the walk found the routes (a broken filter would pass vacuously)
    objects = await populate(world, world.api, "acme matrix")
    if credential == "token":
        keys = await _users(world)
    else:  # an API key has no "me" (/v1/auth/me is the users' walk alone) and is never a customer's
        keys = {role: await key_for(world, world.api, role) for role in Role if role is not Role.CUSTOMER}
        walked = [operation for operation in walked if not bearer_only(operation)]

    decided: dict[str, list[str]] = {"allowed": [], "refused": []}
    for operation in walked:
        permission = Permission(operation.spec["x-required-permission"])
        assert operation.spec["x-allowed-roles"] == [role.value for role in roles_allowed(permission)], operation
        for role in keys:
            url, body, has_body = operation.request(objects)
            if role is Role.CUSTOMER and isinstance(body, dict):
                body.pop("customer_ref", None)  # a signed-in customer holds for itself
            if allows(role, permission):
                response = await send(keys[role], operation, url, body, has_body)
                assert response.status_code not in (400, 401, 403, 415), (str(operation), role, response.text)
                assert response.status_code < 500, (str(operation), role, response.text)
                decided["allowed"].append(f"{operation} {role}")
                continue
            before = await snapshot(world.api, walked, objects) if operation.method != "GET" else None
            response = await send(keys[role], operation, url, body, has_body)
            assert response.status_code == 403, (str(operation), role, response.text)
            problem = response.json()
            assert response.headers["content-type"] == "application/problem+json"
            assert (problem["code"], problem["required_permission"]) == ("forbidden", permission.value)
            if before is not None:
                assert await snapshot(world.api, walked, objects) == before, (str(operation), role)
            decided["refused"].append(f"{operation} {role}")
    assert decided["allowed"]
    assert decided["refused"]


def test_the_walk_fails_loudly_on_a_route_it_cannot_build_a_request_for() -> None:
    objects = Objects("l", "p", "h", "b", "k", "e", "a", "t", "u", "n")
    unknown_id = Operation("GET", "/v1/widgets/{widget_id}", {"parameters": [{"name": "widget_id", "in": "path"}]})
    unknown_body = Operation("POST", "/v1/widgets", {"requestBody": {"required": True}})
    with pytest.raises(AssertionError, match=r"register it in openapi_walk\.IDS"):
        unknown_id.request(objects)
    with pytest.raises(AssertionError, match=r"register a valid one in openapi_walk\.BODIES"):
        unknown_body.request(objects)
