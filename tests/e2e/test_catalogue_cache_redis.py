"""A price change and an archive made through one API process reach another process's hot path
within the redis catalogue cache's bound (the pub/sub message; ``max_age`` at the latest)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import build_container, close_container
from interfaces.http.app import create_app
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing
from tests.e2e.test_catalogue_cache import Other, heard, listening

pytestmark = pytest.mark.parametrize("settings", ["production"], indirect=True)


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


async def test_a_price_change_made_in_one_process_prices_the_other_process_holds(
    world: World, process_b: Other
) -> None:
    listing, pools = await make_listing(world.api, (("a", 1000, 1000),))
    await listening(world.container)
    await listening(process_b.container)
    warm = await hold(process_b.api, listing, {pools["a"]: 1}, customer="warm")  # B caches the listing
    assert warm.json()["lines"][0]["unit_price"] == 1000

    changed = await world.api.patch(f"/v1/pools/{pools['a']}", {"unit_price": 1700})
    assert changed.status_code == 200, changed.text

    async def priced_anew() -> bool:
        placed = await hold(process_b.api, listing, {pools["a"]: 1}, customer="c")
        return bool(placed.json()["lines"][0]["unit_price"] == 1700)

    await heard(priced_anew)


async def test_an_archive_made_in_one_process_refuses_the_other_process_holds(world: World, process_b: Other) -> None:
    listing, pools = await make_listing(world.api, (("a", 1000, 1000), ("b", 1000, 1000)))
    await listening(world.container)
    await listening(process_b.container)
    assert (await hold(process_b.api, listing, {pools["a"]: 1}, customer="warm")).status_code == 201

    assert (await world.api.post(f"/v1/pools/{pools['a']}/archive")).status_code == 200

    async def pool_refused() -> bool:
        response = await hold(process_b.api, listing, {pools["a"]: 1}, customer="c")
        return response.status_code == 409 and response.json()["code"] == "pool_archived"

    await heard(pool_refused)
    assert (await world.api.post(f"/v1/listings/{listing}/archive")).status_code == 200

    async def listing_refused() -> bool:
        response = await hold(process_b.api, listing, {pools["b"]: 1}, customer="c")
        return response.status_code == 409 and response.json()["code"] == "listing_archived"

    await heard(listing_refused)
