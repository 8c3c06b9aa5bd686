"""The outbox relay on real databases: in order per aggregate, fanned out in the same
transaction, idempotent, and exactly once with several relays and writers racing on Postgres."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from application.use_cases.relay_outbox import RelayOutboxHandler
from domain.events import BookingCancelled, BookingConfirmed, BookingRefunded, DomainEvent
from domain.notifications import NotificationKind
from domain.outgoing_webhooks import DeliveryStatus
from infrastructure.clock import RandomIds, SystemClock
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.persistence.database import Database
from infrastructure.persistence.delivery_tables import notifications, webhook_deliveries
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.fakes.clock import FakeClock
from tests.integration.fanout.conftest import NOW, Seed

REFUNDED = "holdfast.booking.refunded.v1"


def _lifecycle(booking: UUID, tenant: UUID) -> list[DomainEvent]:
    hold = uuid4()
    return [
        BookingConfirmed(booking, tenant, hold, NOW),
        BookingRefunded(booking, tenant, hold, NOW, 500),
        BookingCancelled(booking, tenant, hold, NOW),
    ]


async def _rows(database: Database, table: object) -> list[object]:
    async with database.reading() as session:
        return list((await session.execute(select(table))).all())  # type: ignore[call-overload]


async def test_the_relay_publishes_in_order_and_fans_out_once(
    database: Database, uow: Callable[[], SqlUnitOfWork], clock: FakeClock, seed: Seed
) -> None:
    tenant, stranger = await seed.tenant(), await seed.tenant()
    everything = await seed.endpoint(tenant, "https://a.example.com/in")
    refunds_only = await seed.endpoint(tenant, "https://b.example.com/in", (REFUNDED,))
    await seed.endpoint(tenant, "https://off.example.com/in", enabled=False)
    await seed.endpoint(stranger, "https://stranger.example.com/in")
    booking = uuid4()
    await seed.events(_lifecycle(booking, tenant))
    relay = RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(database))

    assert await relay() == 3
    assert await relay() == 0  # nothing left: a second run changes nothing

    assert [(seq, at) for _, seq, at in await seed.published(booking)] == [(1, NOW), (2, NOW), (3, NOW)]
    rows = await _rows(database, webhook_deliveries)
    got = sorted((row.endpoint_id == everything.id, row.sequence, row.event_type) for row in rows)  # type: ignore[attr-defined]
    assert got == [
        (False, 2, REFUNDED),
        (True, 1, "holdfast.booking.confirmed.v1"),
        (True, 2, REFUNDED),
        (True, 3, "holdfast.booking.cancelled.v1"),
    ]
    assert {row.endpoint_id for row in rows} == {everything.id, refunds_only.id}  # type: ignore[attr-defined]
    assert all(row.status == DeliveryStatus.PENDING and row.next_attempt_at == NOW for row in rows)  # type: ignore[attr-defined]


async def test_emails_are_queued_for_bookings_with_a_contact_only(
    database: Database, uow: Callable[[], SqlUnitOfWork], clock: FakeClock, seed: Seed
) -> None:
    tenant = await seed.tenant()
    reachable = await seed.booking(tenant, "ann@example.com")
    await seed.booking(tenant, None)
    hold = uuid4()
    await seed.events(
        [BookingRefunded(reachable.id, tenant, hold, NOW, 700), BookingCancelled(reachable.id, tenant, hold, NOW)]
    )

    assert await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(database))() == 4

    rows = await _rows(database, notifications)
    kinds = sorted((row.kind, row.recipient, row.booking_id, row.status) for row in rows)  # type: ignore[attr-defined]
    assert kinds == [
        (NotificationKind.BOOKING_CONFIRMED.value, "ann@example.com", reachable.id, "pending"),
        (NotificationKind.BOOKING_REFUNDED.value, "ann@example.com", reachable.id, "pending"),
    ]
    refunded = next(row for row in rows if row.kind == "booking_refunded")  # type: ignore[attr-defined]
    assert refunded.data["amount"] == 700  # type: ignore[attr-defined]


async def test_a_relay_that_rolls_back_leaves_everything_to_the_next(
    database: Database, uow: Callable[[], SqlUnitOfWork], clock: FakeClock, seed: Seed
) -> None:
    tenant = await seed.tenant()
    await seed.endpoint(tenant, "https://a.example.com/in")
    booking = await seed.booking(tenant, "ann@example.com")

    class Crashed(Exception):
        pass

    class CrashingIds(RandomIds):
        def __init__(self) -> None:
            self.calls = 0

        def new_id(self) -> UUID:
            self.calls += 1
            if self.calls == 2:  # after the delivery, before the notification
                raise Crashed
            return super().new_id()

    with contextlib.suppress(Crashed):
        await RelayOutboxHandler(uow, clock, CrashingIds(), SqlDeadLetterStore(database))()
    assert [at for *_, at in await seed.published(booking.id)] == [None]
    assert await _rows(database, webhook_deliveries) == []

    assert await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(database))() == 1
    assert len(await _rows(database, webhook_deliveries)) == 1
    assert len(await _rows(database, notifications)) == 1


# Postgres only: SQLite has one writer at a time, so there is no race to run there.
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_racing_relays_and_writers_publish_every_event_once_in_order(
    postgres_url: str, database: Database, uow: Callable[[], SqlUnitOfWork], seed: Seed
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, "https://a.example.com/in")
    aggregates = [uuid4() for _ in range(30)]
    await seed.events([event for booking in aggregates for event in _lifecycle(booking, tenant)])
    relays = [RelayOutboxHandler(uow, SystemClock(), RandomIds(), SqlDeadLetterStore(database)) for _ in range(4)]
    published: list[int] = []

    async def write_more() -> None:
        for _ in range(10):
            booking = random.choice(aggregates)
            await seed.events(_lifecycle(booking, tenant))
            await asyncio.sleep(0)

    async def relay_until_done(relay: RelayOutboxHandler, writer: asyncio.Task[None]) -> None:
        while (count := await relay(limit=7)) or not writer.done():
            published.append(count)
            await asyncio.sleep(0)

    writer = asyncio.create_task(write_more())
    await asyncio.gather(*(relay_until_done(relay, writer) for relay in relays))
    await writer

    records = await seed.published()
    assert all(at is not None for *_, at in records)
    assert sum(published) == len(records) == 30 * 3 + 10 * 3  # none twice, none left behind
    by_aggregate: dict[UUID, list[tuple[int, object]]] = defaultdict(list)
    for aggregate, sequence, at in records:
        by_aggregate[aggregate].append((sequence, at))
    for chain in by_aggregate.values():
        times = [at for _, at in sorted(chain)]
        assert times == sorted(times)  # a later sequence was never published before an earlier one
    deliveries = await _rows(database, webhook_deliveries)
    assert len(deliveries) == len(records)
    assert {row.endpoint_id for row in deliveries} == {endpoint.id}  # type: ignore[attr-defined]
