"""Migration 0023 (pool overbooking) on SQLite and Postgres: the record refuses to sell beyond
capacity + overbooking, the catalogue-version triggers on pools survive the table copy SQLite
needs to change a CHECK (both ways), and the allowance moves the catalogue version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from infrastructure import migrations

REVISION = "0023"
POOL_TRIGGERS = {"catalogue_version_pools_insert", "catalogue_version_pools_update", "catalogue_version_pools_delete"}
NOW = datetime(2026, 12, 3, tzinfo=UTC)
POOL = uuid4()

tenants = sa.table("tenants", sa.column("id", sa.Uuid), sa.column("name"), sa.column("created_at", sa.DateTime(True)))
listings = sa.table(
    "listings",
    *(sa.column(name) for name in ("kind", "name", "hold_ttl_seconds", "version")),
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("created_at", sa.DateTime(True)),
)
pools = sa.table(
    "pools",
    *(sa.column(name) for name in ("code", "name", "capacity", "sold", "unit_price", "currency", "version")),
    sa.column("overbooking"),
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("listing_id", sa.Uuid),
    sa.column("created_at", sa.DateTime(True)),
)


def _before() -> str:
    """The revision 0023 comes after (the lead may chain it after others)."""
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


@asynccontextmanager
async def _connected(url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            yield connection
    finally:
        await engine.dispose()


async def _triggers_on_pools(url: str) -> set[str]:
    async with _connected(url) as connection:
        if connection.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'pools'::regclass AND NOT tgisinternal"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'pools'"
        return set((await connection.execute(sa.text(query))).scalars())


async def _seed_pool(url: str, capacity: int, overbooking: int) -> None:
    tenant, listing = uuid4(), uuid4()
    async with _connected(url) as connection:
        await connection.execute(tenants.insert().values(id=tenant, name="t", created_at=NOW))
        listing_row = {"kind": "flight", "name": "F", "hold_ttl_seconds": 600, "version": 1, "created_at": NOW}
        await connection.execute(listings.insert().values(id=listing, tenant_id=tenant, **listing_row))
        pool_row = {"code": "economy", "name": "", "unit_price": 0, "currency": "EUR", "version": 1, "sold": 0}
        values = {**pool_row, "capacity": capacity, "overbooking": overbooking, "created_at": NOW}
        await connection.execute(pools.insert().values(id=POOL, tenant_id=tenant, listing_id=listing, **values))


async def _update_pool(url: str, **values: int) -> int:
    """Updates the pool; returns how far the catalogue version moved."""
    version = "SELECT coalesce(max(version), 0) FROM catalogue_version"
    async with _connected(url) as connection:
        before = (await connection.execute(sa.text(version))).scalar_one()
        await connection.execute(sa.update(pools).where(pools.c.id == POOL).values(**values))
        return int((await connection.execute(sa.text(version))).scalar_one()) - int(before)


async def test_the_record_sells_up_to_capacity_plus_overbooking_and_keeps_its_triggers(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrations.upgrade(url, REVISION)
    assert await _triggers_on_pools(url) == POOL_TRIGGERS
    await _seed_pool(url, capacity=4, overbooking=2)

    assert await _update_pool(url, sold=6) == 0  # sold moves no catalogue version
    with pytest.raises(IntegrityError):
        await _update_pool(url, sold=7)
    with pytest.raises(IntegrityError):
        await _update_pool(url, overbooking=-1)
    assert await _update_pool(url, overbooking=3) >= 1

    with pytest.raises(RuntimeError, match="1 pools have sold beyond their capacity"):
        migrations.downgrade(url, _before())  # 6 sold of 4 seats would not fit the old schema
    assert await _triggers_on_pools(url) == POOL_TRIGGERS  # and the refusal changed nothing
    await _update_pool(url, sold=4)
    migrations.downgrade(url, _before())
    assert await _triggers_on_pools(url) == POOL_TRIGGERS
    assert await _update_pool(url, capacity=5) >= 1
    with pytest.raises(IntegrityError):
        await _update_pool(url, sold=6)

    migrations.upgrade(url, REVISION)
    assert await _triggers_on_pools(url) == POOL_TRIGGERS
    assert await _update_pool(url, overbooking=1) >= 1  # watched again
