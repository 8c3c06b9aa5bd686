"""The outbox relay's queries (Postgres and SQLite).

A relay locks whole aggregates through their ``outbox_sequences`` rows, ``FOR UPDATE SKIP
LOCKED``: a second relay skips an aggregate the first holds instead of waiting for it, and so
never takes the same record nor publishes a later record of an aggregate first. Writers take
the same row lock while they add an aggregate's events, so an aggregate whose next events are
still being written is skipped too; its records are gapless and committed in sequence order.
SQLite ignores ``FOR UPDATE``: its single writer serialises relays on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.relay import OutboxRecord
from infrastructure.persistence.outbox_tables import outbox, outbox_sequences


class SqlOutboxRelay:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def take_unpublished(self, limit: int) -> list[OutboxRecord]:
        waiting = await self._waiting_aggregates(limit)
        if not waiting:
            return []
        lock = (
            select(outbox_sequences.c.aggregate_id)
            .where(outbox_sequences.c.aggregate_id.in_(waiting))
            .order_by(outbox_sequences.c.aggregate_id)
            .with_for_update(skip_locked=True)
        )
        locked = set((await self._session.execute(lock)).scalars())
        # Read after locking: under READ COMMITTED this sees every record committed before the lock.
        rows = (
            await self._session.execute(
                select(outbox)
                .where(outbox.c.aggregate_id.in_(locked), outbox.c.published_at.is_(None))
                .order_by(outbox.c.aggregate_id, outbox.c.sequence)
            )
        ).all()
        by_aggregate: dict[UUID, list[OutboxRecord]] = {aggregate: [] for aggregate in waiting if aggregate in locked}
        for row in rows:
            by_aggregate[row.aggregate_id].append(
                OutboxRecord(row.id, row.type, row.tenant_id, row.aggregate_id, row.sequence, dict(row.data))
            )
        # Oldest aggregates first; cutting at ``limit`` keeps each aggregate's records a prefix.
        return [record for records in by_aggregate.values() for record in records][:limit]

    async def mark_published(self, ids: Sequence[UUID], now: datetime) -> None:
        if ids:
            statement = update(outbox).where(outbox.c.id.in_(ids), outbox.c.published_at.is_(None))
            await self._session.execute(statement.values(published_at=now))

    async def _waiting_aggregates(self, limit: int) -> list[UUID]:
        """Aggregates with unpublished records, the longest waiting first."""
        oldest = func.min(outbox.c.time)
        statement = (
            select(outbox.c.aggregate_id)
            .where(outbox.c.published_at.is_(None))
            .group_by(outbox.c.aggregate_id)
            .order_by(oldest, outbox.c.aggregate_id)
            .limit(limit)
        )
        return list((await self._session.execute(statement)).scalars())
