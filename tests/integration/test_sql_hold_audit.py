"""The sql engine audits each hold it places in the hold's own transaction, at no round trip
of its own: on Postgres in the statement that calls the hold function, on SQLite in the same
writer-thread hop (or the same transaction, on its general path). A refusal or a retry records
nothing."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select, text

from application.audit import AuditContext, acting_as
from domain.errors import InsufficientInventoryError
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.persistence.audit_tables import audit_logs
from infrastructure.persistence.database import Database
from infrastructure.persistence.metadata import metadata
from tests.engines import fresh_postgres, fresh_sqlite
from tests.integration.test_sql_engine import NOW, make_hold, new_pools
from tests.integration.test_sql_round_trips import CountingRelay

WHO = AuditContext("key:11111111-1111-1111-1111-111111111111", "staff", ip="10.0.0.7", correlation_id="c-1")


async def _with_audit_table(database: Database) -> None:
    """The audit table beside the inventory tables (on Postgres with a DEFAULT partition to
    take the rows, as the migration makes), emptied."""
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all, tables=[audit_logs])
        if not database.is_sqlite:
            await connection.execute(text("CREATE SCHEMA IF NOT EXISTS audit_partitions"))
            await connection.execute(
                text("CREATE TABLE IF NOT EXISTS audit_partitions.audit_logs_default PARTITION OF audit_logs DEFAULT")
            )
        await connection.execute(audit_logs.delete())


async def _audit_rows(database: Database) -> list[Any]:
    async with database.reading() as session:
        return list(await session.execute(select(audit_logs).order_by(audit_logs.c.occurred_at, audit_logs.c.id)))


@pytest.fixture
async def counted(postgres_url: str) -> AsyncIterator[tuple[SqlInventoryEngine, CountingRelay, Database]]:
    plain = await fresh_postgres(postgres_url)
    await _with_audit_table(plain)
    await plain.dispose()
    url = make_url(postgres_url)
    relay = CountingRelay(url.host or "127.0.0.1", url.port or 5432)
    database = Database(url.set(host="127.0.0.1", port=await relay.start()).render_as_string(hide_password=False))
    engine = SqlInventoryEngine(database, audit=True)
    try:
        yield engine, relay, database
    finally:
        await engine.aclose()
        await database.dispose()
        await relay.close()


@pytest.mark.postgres
async def test_postgres_audits_a_placed_hold_in_its_one_round_trip(
    counted: tuple[SqlInventoryEngine, CountingRelay, Database],
) -> None:
    engine, relay, database = counted
    listing_id, [pool] = await new_pools(engine, capacity=3)
    warm = make_hold(listing_id, [(pool, 1)])
    await engine.place_hold(warm, customer_limit=None)  # warm up: prepared statements, connections
    relay.round_trips = 0
    hold = make_hold(listing_id, [(pool, 1)], customer="jane@example.com")
    with acting_as(WHO):
        assert await engine.place_hold(hold, customer_limit=None) == hold
        assert relay.round_trips == 1
        with pytest.raises(InsufficientInventoryError):
            await engine.place_hold(make_hold(listing_id, [(pool, 5)]), customer_limit=None)
        await engine.place_hold(hold, customer_limit=None)  # a retry: the same hold, no second row

    rows = await _audit_rows(database)
    assert [(row.action, row.entity_id, row.actor) for row in rows] == [
        ("hold.place", str(warm.id), "system:unknown"),
        ("hold.place", str(hold.id), WHO.actor),
    ]
    placed = rows[1]
    assert (placed.role, placed.ip, placed.correlation_id, placed.tenant_id) == (
        "staff",
        "10.0.0.7",
        "c-1",
        hold.tenant_id,
    )
    assert placed.occurred_at == NOW
    assert placed.after["customer_ref"] == "j***@example.com"


async def test_sqlite_audits_a_placed_hold_on_both_its_paths() -> None:
    folder = Path(tempfile.mkdtemp(prefix="holdfast-audit-"))
    database = await fresh_sqlite(folder)
    try:
        await _with_audit_table(database)
        engine = SqlInventoryEngine(database, audit=True)
        listing_id, [pool] = await new_pools(engine, capacity=3)
        lapsing = make_hold(listing_id, [(pool, 1)], ttl=timedelta(minutes=1))
        later = make_hold(listing_id, [(pool, 3)], at=NOW + timedelta(minutes=2))  # expires the first: general path
        with acting_as(WHO):
            await engine.place_hold(lapsing, customer_limit=None)  # the plain path
            with pytest.raises(InsufficientInventoryError):
                await engine.place_hold(make_hold(listing_id, [(pool, 3)]), customer_limit=None)
            await engine.place_hold(later, customer_limit=None)
        rows = await _audit_rows(database)
        assert [(row.action, row.entity_id, row.actor) for row in rows] == [
            ("hold.place", str(lapsing.id), WHO.actor),
            ("hold.place", str(later.id), WHO.actor),
        ]
    finally:
        await database.dispose()
        shutil.rmtree(folder, ignore_errors=True)
