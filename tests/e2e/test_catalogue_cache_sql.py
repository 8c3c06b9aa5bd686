"""A price change and an archive made through one API process reach another process's hold
path within the sql catalogue cache's bound (the catalogue version, moved by triggers: an
archived pool moves it too, migration 0028), on SQLite and on Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import update

from infrastructure.container import build_container, close_container
from infrastructure.persistence import tables
from interfaces.http.app import create_app
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing
from tests.e2e.test_catalogue_cache import Other
from tests.e2e.test_sql_catalogue_cache import bound, settings  # noqa: F401 (settings: a fixture)


@pytest.fixture
async def process_b(world: World) -> AsyncIterator[Other]:
    """A second API process over the same databases (its own container and catalogue cache)."""
    config = world.container.settings()
    container = build_container(config)
    container.core.clock.override(providers.Object(world.clock))
    transport = httpx.ASGITransport(app=create_app(config, container))
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        try:
            yield Other(Api(client, world.api.key, world.clock), container)
        finally:
            await close_container(container)


async def test_a_price_change_through_another_process_prices_holds_within_the_bound(
    world: World, process_b: Other
) -> None:
    listing, pools = await make_listing(world.api, (("a", 100, 1000),))
    assert (await hold(world.api, listing, {pools["a"]: 1}, customer="warm")).status_code == 201  # A caches it
    assert (await process_b.api.patch(f"/v1/pools/{pools['a']}", {"unit_price": 1300})).status_code == 200

    world.clock.advance(bound(world))
    placed = await hold(world.api, listing, {pools["a"]: 1}, customer="c")
    assert placed.json()["lines"][0]["unit_price"] == 1300, placed.text


async def test_an_archive_through_another_process_refuses_holds_within_the_bound(
    world: World, process_b: Other
) -> None:
    listing, pools = await make_listing(world.api, (("a", 100, 1000), ("b", 100, 1000)))
    assert (await hold(world.api, listing, {pools["a"]: 1}, customer="warm")).status_code == 201
    assert (await process_b.api.post(f"/v1/pools/{pools['a']}/archive")).status_code == 200

    world.clock.advance(bound(world))
    refused = await hold(world.api, listing, {pools["a"]: 1}, customer="c")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "pool_archived"
    assert (await process_b.api.post(f"/v1/listings/{listing}/archive")).status_code == 200

    world.clock.advance(bound(world))
    refused = await hold(world.api, listing, {pools["b"]: 1}, customer="c")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "listing_archived"


async def test_a_pool_archived_by_sql_alone_is_refused_within_the_bound(world: World) -> None:
    """Only ``archived_at`` is written (an operator's SQL, announced to no cache): the pools
    trigger must fire on that column too for A to learn of it."""
    listing, pools = await make_listing(world.api, (("a", 100, 1000),))
    world.clock.advance(bound(world))  # A reads the version after the listing's own writes...
    assert (await hold(world.api, listing, {pools["a"]: 1}, customer="warm")).status_code == 201  # ...and caches it
    b = build_container(world.container.settings())
    try:
        async with b.gateways.database().transaction() as session:
            archive = (
                update(tables.pools).where(tables.pools.c.id == UUID(pools["a"])).values(archived_at=world.clock.now())
            )
            await session.execute(archive)
    finally:
        await close_container(b)

    world.clock.advance(bound(world))
    refused = await hold(world.api, listing, {pools["a"]: 1}, customer="c")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "pool_archived"
