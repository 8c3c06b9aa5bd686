"""Stay holds racing for the last room with the sql engine on Postgres (the e2e race covers the
embedded default and the redis engine): overlapping stays, all at once, through the use case.

Exactly the right ones win: no night is held twice, and every stay refused overlaps one that won
(a stay whose nights were all free is never refused). Then the horizon job, run by several
workers at once, makes each new night once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from dependency_injector import providers

from application.use_cases.create_listing import CreateListing
from application.use_cases.register_tenant import RegisterTenant
from application.use_cases.stays.place_stay_hold import PlaceStayHold
from application.use_cases.stays.room_types import CreateRoomType
from domain.errors import InsufficientInventoryError
from domain.listings import ListingKind
from infrastructure.container import Container, build_container, close_container
from infrastructure.settings import Settings
from tests.databases import migrated_postgres, truncate_all
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.postgres

TODAY = date(2030, 1, 1)
CLIENTS = 40


@pytest.fixture
async def container(postgres_url: str) -> AsyncIterator[Container]:
    database_url = migrated_postgres(postgres_url, "holdfast_stay_race")
    await truncate_all(database_url)
    settings = Settings(database_url=database_url, inventory_engine="sql", expiry_sweep_seconds=0, stay_horizon_days=40)
    built = build_container(settings)
    built.core.clock.override(providers.Object(FakeClock(datetime(2030, 1, 1, 12, tzinfo=UTC))))
    try:
        yield built
    finally:
        await close_container(built)


async def test_overlapping_stays_racing_for_the_last_room(container: Container) -> None:
    use_cases = container.use_cases
    tenant = (await use_cases.register_tenant()(RegisterTenant("acme"))).tenant.id
    listing = await use_cases.create_listing()(CreateListing(tenant, ListingKind.STAY_PROPERTY, "Harbour"))
    await use_cases.create_room_type()(CreateRoomType(tenant, listing.id, "double", "Double", 1, 9000, "EUR"))
    rng = random.Random(2030)
    stays = [(start, start + rng.randint(1, 5)) for start in (rng.randint(0, 20) for _ in range(CLIENTS))]

    async def ask(n: int, first: int, last: int) -> bool:
        command = PlaceStayHold(
            tenant, listing.id, "double", TODAY + timedelta(first), TODAY + timedelta(last), 1, f"c{n}"
        )
        try:
            await use_cases.place_stay_hold()(command)
        except InsufficientInventoryError:
            return False
        return True

    won = await asyncio.gather(*(ask(n, *stay) for n, stay in enumerate(stays)))
    winners = [stay for stay, ok in zip(stays, won, strict=True) if ok]
    losers = [stay for stay, ok in zip(stays, won, strict=True) if not ok]
    taken = [night for first, last in winners for night in range(first, last)]
    assert len(taken) == len(set(taken))  # no night oversold
    assert all(any(night in taken for night in range(first, last)) for first, last in losers)
    assert winners
    assert losers

    found = await use_cases.get_calendar()(tenant, listing.id, "double", TODAY, TODAY + timedelta(26))
    assert [night.available for night in found[0].nights] == [0 if d in taken else 1 for d in range(26)]


async def test_workers_extending_the_horizon_at_once_make_each_night_once(container: Container) -> None:
    use_cases = container.use_cases
    tenant = (await use_cases.register_tenant()(RegisterTenant("acme"))).tenant.id
    listing = await use_cases.create_listing()(CreateListing(tenant, ListingKind.STAY_PROPERTY, "Harbour"))
    for code in ("double", "suite", "loft"):
        await use_cases.create_room_type()(CreateRoomType(tenant, listing.id, code, code, 2, 9000, "EUR"))
    container.core.clock().advance(5 * 86400)
    rounds = await asyncio.gather(*(use_cases.extend_stay_horizon()() for _ in range(6)))
    assert sum(done.nights for done in rounds) == 3 * 5
    async with container.gateways.uow() as uow:
        pools = await uow.pools.for_listing(tenant, listing.id)
    assert len(pools) == 3 * 45
    assert len({pool.code for pool in pools}) == len(pools)
