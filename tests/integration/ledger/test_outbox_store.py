"""The SQL outbox on real databases: written with the change or not at all, numbered per
aggregate without gaps, also when writers race on Postgres."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import make_url, select

from domain.events import BookingCancelled, BookingConfirmed, DomainEvent
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.integration.test_sql_round_trips import CountingRelay

AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


class Rollback(Exception):
    """Raised to abandon a unit of work."""


def _events(booking: UUID, count: int, tenant: UUID | None = None) -> list[DomainEvent]:
    tenant = tenant or uuid4()
    kinds = (BookingConfirmed, BookingCancelled)
    return [kinds[n % 2](booking, tenant, uuid4(), AT.replace(minute=n)) for n in range(count)]


async def _add(database: Database, events: Sequence[DomainEvent], *, pause: float = 0.0) -> None:
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        await uow.outbox.add(events)
        await asyncio.sleep(pause)  # keeps the transaction open while the others race it
        await uow.commit()


async def _records(database: Database, *aggregates: UUID) -> list[Any]:
    statement = select(outbox).where(outbox.c.aggregate_id.in_(aggregates)).order_by(outbox.c.sequence)
    async with database.reading() as session:
        return list((await session.execute(statement)).all())


async def test_events_are_recorded_as_cloudevents_numbered_per_aggregate(database: Database) -> None:
    booking, other, tenant, hold = uuid4(), uuid4(), uuid4(), uuid4()
    confirmed = BookingConfirmed(booking, tenant, hold, AT)

    await _add(database, [confirmed, *_events(other, 1), BookingCancelled(booking, tenant, hold, AT)])
    await _add(database, _events(booking, 1, tenant))

    records = await _records(database, booking)
    assert [(r.type, r.sequence) for r in records] == [
        ("holdfast.booking.confirmed.v1", 1),
        ("holdfast.booking.cancelled.v1", 2),
        ("holdfast.booking.confirmed.v1", 3),
    ]
    first = records[0]
    assert (first.source, first.subject, first.time, first.published_at) == (
        "/holdfast",
        f"bookings/{booking}",
        AT,
        None,
    )
    assert (first.tenant_id, first.aggregate_id) == (tenant, booking)
    assert first.data == {
        "aggregate_id": str(booking),
        "tenant_id": str(tenant),
        "hold_id": str(hold),
        "at": AT.isoformat(),
    }
    assert len({r.id for r in records}) == 3
    assert [r.sequence for r in await _records(database, other)] == [1]


async def test_a_rolled_back_unit_of_work_leaves_no_record_and_no_gap(database: Database) -> None:
    booking = uuid4()
    await _add(database, _events(booking, 1))
    try:
        async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
            await uow.outbox.add(_events(booking, 2))
            raise Rollback
    except Rollback:
        pass
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        await uow.outbox.add(_events(booking, 5))  # never committed either

    assert [r.sequence for r in await _records(database, booking)] == [1]
    await _add(database, _events(booking, 1))
    assert [r.sequence for r in await _records(database, booking)] == [1, 2]


async def test_an_event_added_twice_in_one_unit_of_work_is_recorded_once(database: Database) -> None:
    booking = uuid4()
    events = _events(booking, 2)
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        await uow.outbox.add(events)
        await uow.outbox.add([events[1], events[1], *_events(booking, 1)])
        await uow.commit()

    assert [r.sequence for r in await _records(database, booking)] == [1, 2, 3]


async def test_racing_writers_get_gapless_unique_sequences(postgres_db: Database) -> None:
    one, two = uuid4(), uuid4()
    rng = random.Random(7)
    batches = [_events(one, rng.randint(1, 3)) + _events(two, rng.randint(0, 2)) for _ in range(20)]
    for batch in batches[::2]:
        batch.reverse()  # half of the writers name the aggregates in the other order

    async def write(n: int, batch: list[DomainEvent]) -> int:
        try:
            async with SqlUnitOfWork(postgres_db, PrometheusMetrics()) as uow:
                await uow.outbox.add(batch)
                await asyncio.sleep(0.02)
                if n % 7 == 3:
                    raise Rollback  # a few writers give up after taking their numbers
                await uow.commit()
        except Rollback:
            return 0
        return 1

    committed = await asyncio.gather(*(write(n, batch) for n, batch in enumerate(batches)))

    for aggregate in (one, two):
        expected = sum(
            sum(e.aggregate_id == aggregate for e in batch)
            for batch, kept in zip(batches, committed, strict=True)
            if kept
        )
        assert [r.sequence for r in await _records(postgres_db, aggregate)] == list(range(1, expected + 1))


@pytest.mark.postgres
async def test_numbering_and_writing_events_of_many_aggregates_is_one_round_trip_on_postgres(
    ledger_postgres_url: str,
) -> None:
    """What a group of free bookings writes to the outbox (issue 9, item 7), counted on the wire."""
    url = make_url(ledger_postgres_url)
    relay = CountingRelay(url.host or "127.0.0.1", url.port or 5432)
    database = Database(url.set(host="127.0.0.1", port=await relay.start()).render_as_string(hide_password=False))
    aggregates = [uuid4() for _ in range(3)]
    try:
        await _add(database, _events(aggregates[0], 1))  # an aggregate numbered already
        async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
            await uow.outbox.add(_events(uuid4(), 1))  # warm up: the transaction, the statement prepared
            relay.round_trips = 0
            await uow.outbox.add([event for aggregate in aggregates for event in _events(aggregate, 2)])
            assert relay.round_trips == 1
            await uow.commit()
        assert [[r.sequence for r in await _records(database, a)] for a in aggregates] == [[1, 2, 3], [1, 2], [1, 2]]
    finally:
        await database.dispose()
        await relay.close()
