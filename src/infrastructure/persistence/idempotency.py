"""Idempotency records in SQL, on Postgres and on SQLite.

One row per (tenant, key), the key stored as its SHA-256 (``record_name``: the response body is
sealed with the key itself, see ``infrastructure/idempotency_sealing.py``). While a request
runs, ``lock_token`` names the caller that claimed it; once it completes, the token is cleared
and the response columns are set (a CHECK keeps the two states apart). Why concurrent first
requests cannot both start: the claim is an ``INSERT ... ON CONFLICT DO NOTHING`` on the
primary key, and only the caller whose insert added the row runs. On Postgres a concurrent
insert waits for the first to commit, then does nothing; on SQLite writers take turns anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Uuid,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.idempotency import Claim, IdempotencyRecord, StoredResponse
from infrastructure.idempotency_sealing import record_name
from infrastructure.persistence.database import Database
from infrastructure.persistence.metadata import metadata

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("lock_token", Uuid, nullable=True),
    Column("locked_at", DateTimeUTC, nullable=True),
    Column("response_status", Integer, nullable=True),
    Column("response_headers", JSON, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("completed_at", DateTimeUTC, nullable=True),
    CheckConstraint("(lock_token IS NULL) <> (response_status IS NULL)", name="in_progress_or_completed"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

_t = idempotency_keys


def _of(tenant_id: UUID, key: str) -> ColumnElement[bool]:
    return (_t.c.tenant_id == tenant_id) & (_t.c.key == record_name(key))


def _held(claim: Claim) -> ColumnElement[bool]:
    return _of(claim.tenant_id, claim.key) & (_t.c.lock_token == claim.token)


class SqlIdempotencyStore:
    """The ``IdempotencyStore`` port on the system of record.

    Each call is a short transaction of its own: a record must be visible to other requests
    while the request it guards is still running, so it never joins that request's work.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._insert = sqlite.insert if database.is_sqlite else postgresql.insert

    async def begin(
        self, tenant_id: UUID, key: str, fingerprint: str, now: datetime, stale_before: datetime
    ) -> Claim | IdempotencyRecord:
        claim = Claim(tenant_id, key, uuid4())
        async with self._db.transaction() as session:
            if await self._insert_if_absent(session, claim, fingerprint, now):
                return claim
            row = (await session.execute(select(_t).where(_of(tenant_id, key)))).one_or_none()
            if row is None:  # released between the insert and the read: in flux, look again
                return IdempotencyRecord(fingerprint, None)
            if _abandoned(row, fingerprint, stale_before) and await self._take_over(session, row, claim, now):
                return claim
            return IdempotencyRecord(row.fingerprint, _response_of(row))

    async def complete(self, claim: Claim, response: StoredResponse, now: datetime) -> bool:
        values = {
            "lock_token": None,
            "locked_at": None,
            "response_status": response.status,
            "response_headers": [list(pair) for pair in response.headers],
            "response_body": response.body,
            "completed_at": now,
        }
        async with self._db.transaction() as session:
            result = await session.execute(update(_t).where(_held(claim)).values(**values))
        return bool(result.rowcount == 1)

    async def release(self, claim: Claim) -> None:
        async with self._db.transaction() as session:
            await session.execute(delete(_t).where(_held(claim)))

    async def purge(self, created_before: datetime) -> int:
        async with self._db.transaction() as session:
            result = await session.execute(delete(_t).where(_t.c.created_at < created_before))
        return int(result.rowcount)

    async def _insert_if_absent(self, session: AsyncSession, claim: Claim, fingerprint: str, now: datetime) -> bool:
        row = {
            "tenant_id": claim.tenant_id,
            "key": record_name(claim.key),
            "fingerprint": fingerprint,
            "lock_token": claim.token,
            "locked_at": now,
            "created_at": now,
        }
        stmt = self._insert(_t).values(row).on_conflict_do_nothing()
        return bool((await session.execute(stmt)).rowcount == 1)

    @staticmethod
    async def _take_over(session: AsyncSession, row: Any, claim: Claim, now: datetime) -> bool:
        """Compare-and-set on the old token: of several callers taking over, one wins."""
        stmt = (
            update(_t)
            .where(_of(claim.tenant_id, claim.key) & (_t.c.lock_token == row.lock_token))
            .values(lock_token=claim.token, locked_at=now)
        )
        return bool((await session.execute(stmt)).rowcount == 1)


def _abandoned(row: Any, fingerprint: str, stale_before: datetime) -> bool:
    """In progress for the same request, claimed so long ago that its process must have died."""
    return row.lock_token is not None and row.fingerprint == fingerprint and row.locked_at < stale_before


def _response_of(row: Any) -> StoredResponse | None:
    if row.response_status is None:
        return None
    headers = tuple((str(name), str(value)) for name, value in row.response_headers or ())
    return StoredResponse(row.response_status, headers, bytes(row.response_body))
