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
        first = await self._reserve({aggregate_id: len(group) for aggregate_id, group in by_aggregate.items()})
        rows = [
            outbox_record(event, uuid4(), first[aggregate_id] + n)
            for aggregate_id, group in sorted(by_aggregate.items())
            for n, event in enumerate(group)
        ]
        await self._session.execute(insert(outbox), rows)
        self._written.update(fresh)

    async def _reserve(self, counts: dict[UUID, int]) -> dict[UUID, int]:
        """The first of ``count`` sequence numbers for each aggregate, all in one statement. The
        counter rows stay locked until this transaction ends, so concurrent writers take turns,
        and a rollback gives the numbers back: the sequences have no gaps. Aggregates go in a
        fixed order: two writers of the same pair never wait on each other crosswise."""
        last = outbox_sequences.c.last_sequence
        upsert = insert_for(self._session, outbox_sequences)
        statement = upsert.on_conflict_do_update(
            index_elements=["aggregate_id"], set_={"last_sequence": last + upsert.excluded.last_sequence}
        ).returning(outbox_sequences.c.aggregate_id, last)
        rows = [{"aggregate_id": aggregate_id, "last_sequence": n} for aggregate_id, n in sorted(counts.items())]
        reserved = (await self._session.execute(statement, rows)).all()
        return {aggregate_id: total - counts[aggregate_id] + 1 for aggregate_id, total in reserved}
