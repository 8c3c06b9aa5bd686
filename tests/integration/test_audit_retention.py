"""The audit log's retention on real databases, on a fake clock: Postgres makes monthly
partitions ahead and drops whole months past retention; SQLite deletes rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from application.use_cases.maintain_audit_log import MaintainAuditLogHandler
from infrastructure import migrations
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.audit_partitions import SqlAuditMaintenance
from infrastructure.persistence.audit_tables import audit_logs
from infrastructure.persistence.database import Database
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.databases import empty_postgres
from tests.fakes.clock import FakeClock

KEEP = timedelta(days=400)


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[Database]:
    """A database of this test's own: its partitions are created and dropped here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        url = pool.submit(empty_postgres, postgres_url, "holdfast_audit_parts").result()
        pool.submit(migrations.upgrade, url).result()
    database = Database(url, pool_size=2)
    try:
        yield database
    finally:
        await database.dispose()


async def _record(database: Database, clock: FakeClock, *moments: datetime) -> None:
    async with SqlUnitOfWork(database, PrometheusMetrics(), clock) as uow:
        for moment in moments:
            await uow.audit.record("listing.create", "listing", f"at-{moment:%Y%m%d}", at=moment)
        await uow.commit()


async def _where_rows_are(database: Database) -> dict[str, str]:
    """entity id -> the partition holding its row."""
    query = text("SELECT entity_id, tableoid::regclass::text AS part FROM audit_logs")
    async with database.reading() as session:
        return {row.entity_id: row.part for row in await session.execute(query)}


async def _month_partitions(database: Database) -> set[str]:
    query = text(
        "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid "
        "WHERE inhparent = 'audit_logs'::regclass AND child.relname LIKE 'audit_logs_p%'"
    )
    async with database.reading() as session:
        return {name for (name,) in await session.execute(query)}


@pytest.mark.postgres
async def test_postgres_makes_months_ahead_and_drops_whole_months_past_retention(postgres_db: Database) -> None:
    clock = FakeClock(_at(2030, 1, 15))
    maintain = MaintainAuditLogHandler(SqlAuditMaintenance(postgres_db), clock, KEEP)
    # Written before any partition covers them: the default partition takes them, no write fails.
    await _record(postgres_db, clock, _at(2029, 11, 5), _at(2030, 1, 10), _at(2030, 2, 10))

    first = await maintain()
    assert first["created"] == 3
    assert await _month_partitions(postgres_db) == {"audit_logs_p203001", "audit_logs_p203002", "audit_logs_p203003"}
    assert await _where_rows_are(postgres_db) == {
        "at-20291105": "audit_partitions.audit_logs_default",
        "at-20300110": "audit_partitions.audit_logs_p203001",
        "at-20300210": "audit_partitions.audit_logs_p203002",
    }
    assert await maintain() == {"created": 0, "dropped": 0, "deleted": 0}  # again: nothing to do

    clock.advance((_at(2031, 3, 10) - clock.now()).total_seconds())  # cutoff: 2030-02-03
    later = await maintain()
    assert later == {"created": 3, "dropped": 1, "deleted": 1}
    assert await _month_partitions(postgres_db) == {
        "audit_logs_p203002",  # ends 2030-03-01, after the cutoff: kept whole
        "audit_logs_p203003",
        "audit_logs_p203103",
        "audit_logs_p203104",
        "audit_logs_p203105",
    }
    await _record(postgres_db, clock, clock.now())
    assert await _where_rows_are(postgres_db) == {
        "at-20300210": "audit_partitions.audit_logs_p203002",
        "at-20310310": "audit_partitions.audit_logs_p203103",
    }


async def test_sqlite_deletes_rows_past_retention(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        clock = FakeClock(_at(2031, 3, 10))
        await _record(database, clock, _at(2030, 1, 10), _at(2030, 2, 10), _at(2031, 3, 1))
        maintain = MaintainAuditLogHandler(SqlAuditMaintenance(database), clock, KEEP)
        assert await maintain() == {"deleted": 1}
        async with database.reading() as session:
            left = set((await session.execute(select(audit_logs.c.entity_id))).scalars())
        assert left == {"at-20300210", "at-20310301"}
    finally:
        await database.dispose()
