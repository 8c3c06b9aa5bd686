"""The outbox in SQL: events written in the unit of work's transaction, numbered per aggregate.

On Postgres the numbers are taken and the events written by one statement (a data-modifying
CTE over arrays): one round trip and one statement whatever the number of events, which is what
a group of free bookings writes (benchmarks/RESULTS.md, item 7). SQLite takes two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import DomainEvent
from infrastructure.persistence.cloudevents import outbox_record
from infrastructure.persistence.outbox_tables import outbox, outbox_sequences
from infrastructure.persistence.pg_arrays import columns_of, json_value, unnest_rows
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
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(_RESERVE_AND_INSERT, _arrays(by_aggregate))
        else:
            await self._reserve_then_insert(by_aggregate)
        self._written.update(fresh)

    async def _reserve_then_insert(self, by_aggregate: dict[UUID, list[DomainEvent]]) -> None:
        first = await self._reserve({aggregate_id: len(group) for aggregate_id, group in by_aggregate.items()})
        rows = [
            outbox_record(event, uuid4(), first[aggregate_id] + n)
            for aggregate_id, group in sorted(by_aggregate.items())
            for n, event in enumerate(group)
        ]
        await self._session.execute(insert(outbox), rows)

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


_COUNT_COLUMNS = {"aggregate_id": "uuid", "n": "bigint"}  # events an aggregate
_EVENT_COLUMNS = {
    "id": "uuid",
    "type": "text",
    "source": "text",
    "subject": "text",
    "time": "timestamptz",
    "data": "json",
    "tenant_id": "uuid",
    "aggregate_id": "uuid",
    "back": "bigint",  # places before its aggregate's last: its sequence is ``last_sequence - back``
}
# The sequences upsert of ``_reserve`` (same order, same row locks, same gapless numbers), feeding
# the insert of the events. Arrays, not a multi-row VALUES: one statement text whatever the count.
_RESERVE_AND_INSERT = text(
    f"""
    WITH reserved AS (
        INSERT INTO outbox_sequences (aggregate_id, last_sequence)
        SELECT a.aggregate_id, a.n FROM {unnest_rows(_COUNT_COLUMNS, "a_", "a")}
        ORDER BY a.position
        ON CONFLICT (aggregate_id) DO UPDATE
            SET last_sequence = outbox_sequences.last_sequence + excluded.last_sequence
        RETURNING aggregate_id, last_sequence
    )
    INSERT INTO outbox (id, type, source, subject, time, data, tenant_id, aggregate_id, sequence)
    SELECT e.id, e.type, e.source, e.subject, e.time, {json_value(_EVENT_COLUMNS, "e", "data")}, e.tenant_id,
        e.aggregate_id, reserved.last_sequence - e.back
    FROM {unnest_rows(_EVENT_COLUMNS, "e_", "e")}
    JOIN reserved ON reserved.aggregate_id = e.aggregate_id
    ORDER BY e.position
    """
)


def _arrays(by_aggregate: dict[UUID, list[DomainEvent]]) -> dict[str, list[Any]]:
    """``_RESERVE_AND_INSERT``'s parameters: the aggregates in a fixed order (two writers of the
    same pair never wait on each other crosswise) and their events, as columns."""
    in_order = sorted(by_aggregate.items())
    counts = [{"aggregate_id": aggregate_id, "n": len(group)} for aggregate_id, group in in_order]
    events = [
        {**outbox_record(event, uuid4(), 0), "back": len(group) - 1 - n}
        for _, group in in_order
        for n, event in enumerate(group)
    ]
    return {**columns_of(counts, _COUNT_COLUMNS, "a_"), **columns_of(events, _EVENT_COLUMNS, "e_")}
