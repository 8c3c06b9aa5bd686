"""The redis engine's hot path reads no Postgres, and its cached catalogue follows changes made
by another process within the stated bound (``infrastructure/catalogue/redis_cache.py``): the
pub/sub message, at the latest ``HOLDFAST_CATALOGUE_MAX_AGE_SECONDS``.

"A" is the ``world`` app; "B" is a second app instance (its own container, cache, connection
pools and subscriber) over the same Postgres and Redis, as a second ``holdfast serve`` process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import update

from application.use_cases.register_tenant import hash_key
from infrastructure.container import Container, build_container, close_container
from infrastructure.persistence.tables import listings
from interfaces.http.app import create_app
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import database_statements, hold, make_listing
from tests.integration.worker_stack import eventually

pytestmark = pytest.mark.parametrize("settings", ["production"], indirect=True)

# The bound for the pub/sub path: the message arrives in milliseconds; a test waiting longer has
# found a defect (a lost message would only be caught by max_age, which the fake clock stops).
HEARD_WITHIN_SECONDS = 10.0


@dataclass
class Other:
    """Process B: its own app and container, over A's Postgres and Redis."""

    api: Api
    container: Container


@pytest.fixture
async def other(world: World) -> AsyncIterator[Other]:
    settings = world.container.settings()
    container = build_container(settings)
    container.core.clock.override(providers.Object(world.clock))
    transport = httpx.ASGITransport(app=create_app(settings, container))
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        try:
            yield Other(Api(client, world.api.key, world.clock), container)
        finally:
            await close_container(container)


async def listening(container: Container) -> None:
    await asyncio.wait_for(container.gateways.catalogue().ready(), HEARD_WITHIN_SECONDS)


async def heard(check: Callable[[], Awaitable[bool]]) -> None:
    """Until ``check`` holds; a change not heard within the pub/sub bound fails the test."""
    await eventually(check, "the change heard", HEARD_WITHIN_SECONDS)


async def status_of(response: Awaitable[Any]) -> int:
    return int((await response).status_code)


async def test_holds_rejections_releases_and_unknown_keys_run_no_postgres_query(world: World) -> None:
    n = 20
    listing_id, pools = await make_listing(world.api, (("a", n, 1500),), per_customer_limit=2)
    pool = pools["a"]
    await listening(world.container)
    warm = await hold(world.api, listing_id, {pool: 1}, customer="warm")  # fills the cache
    assert (await world.api.delete(f"/v1/holds/{warm.json()['id']}")).status_code == 200
    with database_statements(world.container) as queries:
        over_limit = await hold(world.api, listing_id, {pool: 3}, customer="greedy")
        placed = [await hold(world.api, listing_id, {pool: 1}, customer=f"c{i}") for i in range(n)]
        sold_out = [await hold(world.api, listing_id, {pool: 1}, customer=f"late{i}") for i in range(n)]
        body = {"listing_id": listing_id, "customer_ref": "k", "lines": [{"pool_id": pool, "quantity": 1}]}
        keyed = await world.api.post("/v1/holds", body, headers={"Idempotency-Key": str(uuid4())})
        released = [await world.api.delete(f"/v1/holds/{r.json()['id']}") for r in placed]
        strangers = [
            await Api(world.client, f"hf_{uuid4().hex}", world.clock).get(f"/v1/listings/{listing_id}/availability")
            for _ in range(n)
        ]
        unknown_pool = await hold(world.api, listing_id, {str(uuid4()): 1})
    assert [r.status_code for r in placed] == [201] * n
    assert {r.json()["code"] for r in sold_out} == {"insufficient_inventory"}
    assert over_limit.json()["code"] == "customer_limit_exceeded"
    assert keyed.json()["code"] == "insufficient_inventory"
    assert [r.status_code for r in released] == [200] * n
    assert {r.status_code for r in strangers} == {401}
    assert unknown_pool.status_code == 404
    assert queries == []


async def test_a_key_revoked_through_another_process_is_refused_within_the_bound(world: World, other: Other) -> None:
    listing_id, pools = await make_listing(world.api)
    await listening(world.container)
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201  # the key is cached

    await other.container.use_cases.revoke_api_key()(world.api.key)

    await heard(lambda: _refused(world.api.get(f"/v1/listings/{listing_id}")))
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 401
    assert (await world.other.get(f"/v1/listings/{listing_id}")).status_code == 404  # others still served


async def _refused(response: Awaitable[Any]) -> bool:
    return await status_of(response) == 401


async def test_a_key_issued_through_another_process_is_accepted_within_the_bound(world: World, other: Other) -> None:
    await listening(world.container)
    assert (await world.api.get("/v1/listings")).status_code == 200  # the directory is cached
    from application.use_cases.issue_api_key import IssueApiKey

    key = await other.container.use_cases.issue_api_key()(IssueApiKey("acme", "second"))
    fresh = Api(world.client, key, world.clock)
    await heard(lambda: _served(fresh.get("/v1/listings")))


async def _served(response: Awaitable[Any]) -> bool:
    return await status_of(response) == 200


async def test_an_unheard_revocation_is_refused_once_the_entry_is_max_age_old(world: World) -> None:
    """The safety net: a change whose message never came (written here straight to Postgres, as
    if the publish had been lost) is seen when the cached directory reaches ``max_age``."""
    await listening(world.container)
    assert (await world.api.get("/v1/listings")).status_code == 200
    async with world.container.gateways.uow() as uow:
        assert await uow.tenants.revoke_key(hash_key(world.api.key), world.clock.now())
        await uow.commit()
    assert (await world.api.get("/v1/listings")).status_code == 200  # cached: nothing told A yet
    world.clock.advance(world.container.settings().catalogue_max_age_seconds)
    assert (await world.api.get("/v1/listings")).status_code == 401


async def test_a_pool_resized_through_another_process_bounds_holds_at_once(world: World, other: Other) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 2, 700),))
    pool = pools["a"]
    await listening(world.container)
    assert (await hold(world.api, listing_id, {pool: 2}, customer="x")).status_code == 201
    assert (await hold(world.api, listing_id, {pool: 1}, customer="y")).status_code == 409

    grown = await other.api.patch(f"/v1/pools/{pool}", {"capacity": 3})
    assert grown.status_code == 200, grown.text
    assert (await hold(world.api, listing_id, {pool: 1}, customer="y")).status_code == 201
    assert (await hold(world.api, listing_id, {pool: 1}, customer="z")).status_code == 409


async def test_a_pool_added_through_another_process_can_be_held_within_the_bound(world: World, other: Other) -> None:
    listing_id, pools = await make_listing(world.api)
    await listening(world.container)
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201  # the listing is cached
    created = await other.api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "b", "capacity": 4, "unit_price": 900, "currency": "EUR"}
    )
    assert created.status_code == 201, created.text
    added = created.json()["id"]

    await heard(lambda: _placed(hold(world.api, listing_id, {added: 1}, customer="new")))


async def _placed(response: Awaitable[Any]) -> bool:
    return await status_of(response) == 201


async def test_a_limit_changed_through_another_process_is_enforced_within_the_bound(world: World, other: Other) -> None:
    """No route changes a listing's limit yet: the change is written as one would be, and
    announced through B's catalogue (``changed_listing``), the call any such write makes."""
    listing_id, pools = await make_listing(world.api, (("a", 10, 100),), per_customer_limit=5)
    await listening(world.container)
    assert (await hold(world.api, listing_id, {pools["a"]: 2}, customer="c")).status_code == 201
    async with other.container.gateways.database().transaction() as session:
        await session.execute(update(listings).where(listings.c.id == UUID(listing_id)).values(per_customer_limit=2))
    await other.container.gateways.catalogue().changed_listing(UUID(listing_id))

    await heard(lambda: _limited(hold(world.api, listing_id, {pools["a"]: 1}, customer="c")))


async def _limited(response: Awaitable[Any]) -> bool:
    found = await response
    return bool(found.status_code == 409 and found.json()["code"] == "customer_limit_exceeded")
