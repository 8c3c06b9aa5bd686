"""The audit log's retention: monthly partitions on Postgres, a row purge on SQLite.

Postgres: ``audit_logs`` is range-partitioned by month on ``occurred_at`` (see
``audit_tables``). Each round makes sure this month's partition and the next ``MONTHS_AHEAD``
exist, and drops every month partition that ends by the retention's cutoff: a ``DROP TABLE``
of a whole month, never a row-by-row delete. A new month's partition is made beside the parent,
given the rows the ``DEFAULT`` partition caught for that month (none, unless the job fell behind
or the clock jumped), then attached: creating it in place would fail while such rows exist.
Rounds are serialised by a transaction-scoped advisory lock, so two workers never race.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.persistence.audit_tables import DEFAULT_PARTITION, PARTITION_SCHEMA, audit_logs
from infrastructure.persistence.database import Database

MONTHS_AHEAD = 2
_LOCK = 0x4155444954  # "AUDIT": the advisory lock of a maintenance round
_PREFIX = "audit_logs_p"  # + YYYYMM


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def months_later(start: datetime, months: int) -> datetime:
    index = start.month - 1 + months
    return datetime(start.year + index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{_PREFIX}{start:%Y%m}"


class SqlAuditMaintenance:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def maintain(self, now: datetime, keep_before: datetime) -> dict[str, int]:
        async with self._db.transaction() as session:
            if self._db.is_sqlite:
                purged = await session.execute(delete(audit_logs).where(audit_logs.c.occurred_at < keep_before))
                return {"deleted": int(purged.rowcount)}  # type: ignore[attr-defined]
            await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK})
            created = await _create_ahead(session, month_start(now))
            dropped = await _drop_before(session, keep_before)
            deleted = await session.execute(text(_DELETE_DEFAULT), {"before": keep_before})
            return {"created": created, "dropped": dropped, "deleted": int(deleted.rowcount)}  # type: ignore[attr-defined]


async def _partitions(session: AsyncSession) -> dict[str, datetime]:
    """The month partitions there are, by name, with the month each starts."""
    rows = await session.execute(text(_LIST), {"schema": PARTITION_SCHEMA, "prefix": f"{_PREFIX}%"})
    found: dict[str, datetime] = {}
    for (name,) in rows:
        try:
            found[name] = datetime.strptime(name.removeprefix(_PREFIX), "%Y%m").replace(tzinfo=UTC)
        except ValueError:
            continue  # not one of ours
    return found


async def _create_ahead(session: AsyncSession, this_month: datetime) -> int:
    existing = await _partitions(session)
    created = 0
    for ahead in range(MONTHS_AHEAD + 1):
        start = months_later(this_month, ahead)
        if partition_name(start) not in existing:
            await _create(session, start, months_later(start, 1))
            created += 1
    return created


async def _create(session: AsyncSession, start: datetime, end: datetime) -> None:
    table = f"{PARTITION_SCHEMA}.{partition_name(start)}"
    bounds: dict[str, Any] = {"start": start, "end": end}
    await session.execute(text(f"CREATE TABLE {table} (LIKE audit_logs INCLUDING DEFAULTS)"))
    await session.execute(
        text(
            f"WITH moved AS (DELETE FROM {PARTITION_SCHEMA}.{DEFAULT_PARTITION} "
            "WHERE occurred_at >= :start AND occurred_at < :end RETURNING *) "
            f"INSERT INTO {table} SELECT * FROM moved"
        ),
        bounds,
    )
    # Literal bounds: ATTACH takes no parameters. Both are datetimes made here, not input.
    await session.execute(
        text(
            f"ALTER TABLE audit_logs ATTACH PARTITION {table} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )


async def _drop_before(session: AsyncSession, keep_before: datetime) -> int:
    dropped = 0
    for name, start in sorted((await _partitions(session)).items()):
        if months_later(start, 1) <= keep_before:  # every row of the month is past retention
            await session.execute(text(f"DROP TABLE {PARTITION_SCHEMA}.{name}"))
            dropped += 1
    return dropped


_LIST = """
SELECT child.relname FROM pg_inherits
JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
JOIN pg_class child ON child.oid = pg_inherits.inhrelid
JOIN pg_namespace ns ON ns.oid = child.relnamespace
WHERE parent.relname = 'audit_logs' AND ns.nspname = :schema AND child.relname LIKE :prefix
"""
_DELETE_DEFAULT = f"DELETE FROM {PARTITION_SCHEMA}.{DEFAULT_PARTITION} WHERE occurred_at < :before"
