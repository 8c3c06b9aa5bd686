"""How a refusal is answered: 401 first, then 403 ``forbidden`` before the body is read, alike on
the hot path and on the Litestar routes, and never stored for an Idempotency-Key."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from domain.roles import Role
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import make_listing
from tests.e2e.keys import key_for

NOT_JSON = b"{this is not json"


async def _raw(api: Api, path: str, body: bytes, **headers: str) -> Any:
    sent = {"X-API-Key": api.key, "Content-Type": "application/json", **headers}
    return await api.client.post(path, content=body, headers=sent)


def _without_correlation(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "correlation_id"}


async def test_a_refused_role_gets_403_before_its_body_is_read_on_both_paths(world: World) -> None:
    owner = await key_for(world, world.api, Role.OWNER)

    hot = await _raw(owner, "/v1/holds", NOT_JSON)  # the hot path
    routed = await _raw(owner, "/v1/holds", NOT_JSON, **{"Idempotency-Key": str(uuid4())})  # the Litestar route
    other = await _raw(owner, "/v1/listings", NOT_JSON)

    assert [r.status_code for r in (hot, routed, other)] == [403, 403, 403]
    assert all(r.headers["content-type"] == "application/problem+json" for r in (hot, routed, other))
    assert _without_correlation(hot.json()) == _without_correlation(routed.json())
    assert hot.json()["code"] == "forbidden"
    assert hot.json()["required_permission"] == "holds:place"
    assert hot.headers["x-correlation-id"] == hot.json()["correlation_id"]


async def test_no_key_is_401_before_any_permission(world: World) -> None:
    for path in ("/v1/holds", "/v1/api-keys", "/v1/bookings"):
        response = await world.client.post(path, content=NOT_JSON, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


async def test_a_refusal_is_not_stored_under_its_idempotency_key(world: World) -> None:
    staff = await key_for(world, world.api, Role.STAFF)
    key = {"Idempotency-Key": str(uuid4())}
    body = {"kind": "event_show", "name": "by staff"}

    refused = await staff.post("/v1/listings", body, headers=key)
    assert refused.status_code == 403

    # The same tenant, the same key, another request: not a replay, not a mismatch: it runs.
    made = await world.api.post("/v1/listings", {"kind": "event_show", "name": "by admin"}, headers=key)
    assert made.status_code == 201, made.text
    assert "idempotent-replayed" not in made.headers


async def test_a_role_allowed_on_the_hot_path_is_answered_there_as_before(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    staff = await key_for(world, world.api, Role.STAFF)
    body = {"listing_id": listing_id, "customer_ref": "c", "lines": [{"pool_id": pools["a"], "quantity": 1}]}
    assert (await staff.post("/v1/holds", body)).status_code == 201


async def test_litestars_automatic_options_answer_stays_open_to_every_role(world: World) -> None:
    owner = await key_for(world, world.api, Role.OWNER)
    response = await owner.client.options("/v1/holds", headers={"X-API-Key": owner.key})
    assert response.status_code == 204
    assert "OPTIONS" in response.headers["allow"]
