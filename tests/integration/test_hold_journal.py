"""The hold journal: the Redis engine's streams moved into Postgres in batches, exactly once,
on real Redis and Postgres servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from application.use_cases.journal_holds import JournalHoldsHandler
from domain.inventory import Hold, HoldLine, PoolCounters
from infrastructure.inventory.redis_journal import RedisHoldJournal
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.journal_tables import hold_journal, hold_journal_cursors
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.databases import migrated_postgres
from tests.fakes.clock import FakeClock


class Crash(Exception):
    pass


@dataclass
class Rig:
    engine: RedisLuaInventoryEngine
    source: RedisHoldJournal
    database: Database
    clock: FakeClock
    redis: Redis
    prefix: str
    commits_before_crash: int | None = None

    def uow(self) -> Any:
        rig = self

        class CrashingUnitOfWork(SqlUnitOfWork):
            """The real unit of work; the process "dies" instead of committing once the count runs out."""

            async def commit(self) -> None:
                if rig.commits_before_crash is not None:
                    if rig.commits_before_crash == 0:
                        raise Crash
                    rig.commits_before_crash -= 1
                await super().commit()

        return CrashingUnitOfWork(self.database, PrometheusMetrics())

    def handler(self, *, trim: bool = True) -> JournalHoldsHandler:
        return JournalHoldsHandler(self.uow, self.source, self.clock, SqlDeadLetterStore(self.database), trim=trim)

    async def rows(self) -> dict[UUID, str]:
        async with self.database.reading() as session:
            found = await session.execute(select(hold_journal.c.hold_id, hold_journal.c.status))
            return {row.hold_id: row.status for row in found}

    async def cursor(self, listing_id: UUID) -> str | None:
        async with self.database.reading() as session:
            where = hold_journal_cursors.c.listing_id == listing_id
            return await session.scalar(select(hold_journal_cursors.c.last_entry_id).where(where))

    async def stream_length(self, listing_id: UUID) -> int:
        return int(await self.redis.xlen(f"{self.prefix}:{{{listing_id}}}:journal"))


@pytest.fixture
async def rig(postgres_url: str, redis_url: str) -> AsyncIterator[Rig]:
    database = Database(migrated_postgres(postgres_url, "holdfast_journal"), pool_size=5)
    async with database.transaction() as session:
        await session.execute(text("TRUNCATE hold_journal, hold_journal_cursors"))
    redis = Redis.from_url(redis_url, decode_responses=True)
    prefix = f"hf-journal-{uuid4().hex}"
    try:
        yield Rig(
            RedisLuaInventoryEngine(redis, prefix),
            RedisHoldJournal(redis, prefix),
            database,
            FakeClock(),
            redis,
            prefix,
        )
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await database.dispose()


async def place(rig: Rig, listing_id: UUID, pool_id: UUID, quantity: int = 1, ttl: int = 60) -> Hold:
    now = rig.clock.now()
    hold = Hold(
        uuid4(), uuid4(), listing_id, "ann", (HoldLine(pool_id, quantity),), "EUR", now, now + timedelta(seconds=ttl)
    )
    return await rig.engine.place_hold(hold, None)


async def listing(rig: Rig, capacity: int = 20) -> tuple[UUID, UUID]:
    listing_id, pool_id = uuid4(), uuid4()
    await rig.engine.add_pool(PoolCounters(pool_id, listing_id, capacity))
    return listing_id, pool_id


async def test_every_transition_flows_into_one_row_per_hold(rig: Rig) -> None:
    listing_id, pool_id = await listing(rig)
    confirmed, released, lapsing, kept = [await place(rig, listing_id, pool_id, ttl=t) for t in (60, 60, 5, 60)]
    await rig.engine.confirm(confirmed.id, rig.clock.now())
    await rig.engine.release(released.id, rig.clock.now())

    assert await rig.handler()(batch=2) == 6  # four placed, one confirmed, one released
    assert await rig.rows() == {
        confirmed.id: "confirmed",
        released.id: "released",
        lapsing.id: "active",
        kept.id: "active",
    }
    assert await rig.stream_length(listing_id) == 0  # trimmed once journaled

    rig.clock.advance(10)
    await rig.engine.expire_due(rig.clock.now())
    await rig.engine.cancel(confirmed.id)
    assert await rig.handler()() == 2
    rows = await rig.rows()
    assert (rows[lapsing.id], rows[confirmed.id], rows[kept.id]) == ("expired", "cancelled", "active")
    async with rig.uow() as uow:
        active = await uow.hold_journal.active([listing_id], rig.clock.now())
    assert [hold.id for hold in active] == [kept.id]
    assert (active[0].lines, active[0].expires_at) == (kept.lines, kept.expires_at)


async def test_a_crash_between_batches_rereads_and_applies_each_entry_once(rig: Rig) -> None:
    listing_id, pool_id = await listing(rig)
    holds = [await place(rig, listing_id, pool_id) for _ in range(5)]
    for hold in holds[:3]:
        await rig.engine.confirm(hold.id, rig.clock.now())
    entries = await rig.source.read_journal(listing_id, None, 100)
    assert len(entries) == 8

    rig.commits_before_crash = 1  # the first batch commits, the second dies before its commit
    with pytest.raises(Crash):
        await rig.handler(trim=False)(batch=3)
    assert await rig.cursor(listing_id) == entries[2].entry_id
    assert await rig.rows() == {hold.id: "active" for hold in holds[:3]}

    rig.commits_before_crash = None
    assert await rig.handler(trim=False)(batch=3) == 5  # the unfinished batch again, then the rest
    assert await rig.cursor(listing_id) == entries[-1].entry_id
    assert await rig.rows() == {hold.id: "confirmed" if hold in holds[:3] else "active" for hold in holds}
    assert await rig.handler(trim=False)(batch=3) == 0  # nothing is read twice
    assert await rig.stream_length(listing_id) == 8


async def test_engines_without_a_journal_have_nothing_to_do(rig: Rig) -> None:
    assert await JournalHoldsHandler(rig.uow, None, rig.clock, SqlDeadLetterStore(rig.database))() == 0
