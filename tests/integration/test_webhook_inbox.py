"""The SQL webhook inbox on real Postgres and on SQLite: the atomic steps the exactly-once
handling rests on, raced by many workers at once, and its migration both ways."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from application.ports.payments import GatewayEvent
from application.ports.webhooks import InboxEntry, Lease
from domain.errors import NotFoundError
from domain.webhooks import InboxStatus
from infrastructure import migrations
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.databases import migrated_postgres

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
RACERS = 30


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = migrated_postgres(request.getfixturevalue("postgres_url"), "holdfast_webhook_inbox")
    db = Database(url, pool_size=RACERS)
    try:
        yield db
    finally:
        await db.dispose()


def _lease(at: datetime = NOW, seconds: int = 300) -> Lease:
    return Lease(uuid4().hex, at + timedelta(seconds=seconds))


def _entry(status: InboxStatus = InboxStatus.FAILED, lease: Lease | None = None) -> InboxEntry:
    event = GatewayEvent(f"evt_{uuid4().hex}", "payment_intent.succeeded", NOW, {"id": "pi_1", "amount": 5})
    return InboxEntry(event, status, 1, NOW, NOW, next_attempt_at=NOW, last_error="boom", lease=lease)


async def _add(db: Database, entry: InboxEntry) -> bool:
    async with SqlUnitOfWork(db, PrometheusMetrics()) as uow:
        stored = await uow.webhooks.add(entry)
        await uow.commit()
    return stored


async def _claim(db: Database, event_id: str, lease: Lease) -> InboxEntry | None:
    async with SqlUnitOfWork(db, PrometheusMetrics()) as uow:
        claimed = await uow.webhooks.claim(event_id, NOW, lease)
        await uow.commit()
    return claimed


async def _get(db: Database, event_id: str) -> InboxEntry:
    async with SqlUnitOfWork(db, PrometheusMetrics()) as uow:
        return await uow.webhooks.get(event_id)


async def test_racing_inserts_store_an_event_once(database: Database) -> None:
    entry = _entry(InboxStatus.RECEIVED, _lease())
    stored = await asyncio.gather(*(_add(database, replace(entry, lease=_lease())) for _ in range(RACERS)))
    assert sorted(stored) == [False] * (RACERS - 1) + [True]
    assert (await _get(database, entry.event_id)).event == entry.event


async def test_racing_claims_lease_an_event_to_exactly_one_worker(database: Database) -> None:
    entry = _entry()
    await _add(database, entry)
    leases = [_lease() for _ in range(RACERS)]

    claims = await asyncio.gather(*(_claim(database, entry.event_id, lease) for lease in leases))

    winners = [claim for claim in claims if claim is not None]
    assert len(winners) == 1
    assert (await _get(database, entry.event_id)).lease == winners[0].lease


async def test_only_the_lease_holder_records_the_outcome(database: Database) -> None:
    entry = _entry()
    await _add(database, entry)
    claimed = await _claim(database, entry.event_id, _lease())
    assert claimed is not None
    done = replace(claimed, status=InboxStatus.PROCESSED, attempts=2, next_attempt_at=None)
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        assert not await uow.webhooks.finish(replace(done, lease=_lease()))  # a stranger's token
        assert await uow.webhooks.finish(done)
        assert not await uow.webhooks.finish(done)  # the lease is gone with the first outcome
        await uow.commit()
    stored = await _get(database, entry.event_id)
    assert (stored.status, stored.attempts, stored.lease) == (InboxStatus.PROCESSED, 2, None)


async def test_a_leased_event_is_claimed_or_replayed_by_nobody_else_until_the_lease_ends(database: Database) -> None:
    entry = _entry(InboxStatus.RECEIVED, _lease())
    await _add(database, entry)
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        assert await uow.webhooks.claim(entry.event_id, NOW, _lease()) is None
        assert await uow.webhooks.replay(entry.event_id, NOW, _lease()) is None
        later = NOW + timedelta(seconds=301)
        replayed = await uow.webhooks.replay(entry.event_id, later, _lease(later))
        with pytest.raises(NotFoundError):
            await uow.webhooks.replay("evt_nobody", NOW, _lease())
    assert replayed is not None
    assert (replayed.status, replayed.attempts) == (InboxStatus.RECEIVED, 0)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_inbox_migration_goes_down_and_up_again(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'stairs.db'}"
        migrations.upgrade(url)
    else:
        url = migrated_postgres(request.getfixturevalue("postgres_url"), "holdfast_webhook_stairs")
    migrations.downgrade(url, "0004")
    assert "webhook_events" not in await _tables(url)
    migrations.upgrade(url)
    assert "webhook_events" in await _tables(url)


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
