"""The outbox in SQL: events written in the unit of work's transaction, numbered per aggregate."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID, uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import DomainEvent
from infrastructure.persistence.cloudevents import outbox_record
from infrastructure.persistence.outbox_tables import outbox, outbox_sequences
from infrastructure.persistence.upsert import insert_for


class SqlOutboxRepository:
    """One per unit of work: it remembers what it wrote, so adding an event twice writes it once."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._written: set[DomainEvent] = set()

    async def add(self, events: Iterable[DomainEvent]) -> None:
        fresh = [event for event in dict.fromkeys(events) if event not in self._written]
        if not fresh:
            return
        by_aggregate: dict[UUID, list[DomainEvent]] = {}
        for event in fresh:
            by_aggregate.setdefault(event.aggregate_id, []).append(event)
        rows = []
        # Aggregates in a fixed order: two writers of the same pair never wait on each other crosswise.
        for aggregate_id in sorted(by_aggregate):
            group = by_aggregate[aggregate_id]
            first = await self._reserve(aggregate_id, len(group))
            rows += [outbox_record(event, uuid4(), first + n) for n, event in enumerate(group)]
        await self._session.execute(insert(outbox), rows)
        self._written.update(fresh)

    async def _reserve(self, aggregate_id: UUID, count: int) -> int:
        """The first of ``count`` sequence numbers for the aggregate. The counter row stays
        locked until this transaction ends, so concurrent writers take turns, and a rollback
        gives the numbers back: the sequence has no gaps."""
        last = outbox_sequences.c.last_sequence
        statement = (
            insert_for(self._session, outbox_sequences)
            .values(aggregate_id=aggregate_id, last_sequence=count)
            .on_conflict_do_update(index_elements=["aggregate_id"], set_={"last_sequence": last + count})
            .returning(last)
        )
        reserved: int = (await self._session.execute(statement)).scalar_one()
        return reserved - count + 1
