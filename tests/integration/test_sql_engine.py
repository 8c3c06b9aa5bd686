"""What the conformance suite cannot see of the SQL engine: the database's own guard, the
ambient transaction, and real races between connections on Postgres."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import Uuid

from domain.errors import DomainError, HoldMismatchError, InsufficientInventoryError
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.inventory.sql_tables import inventory_customer_units
from infrastructure.persistence.database import Database
from tests.engines import fresh_postgres, fresh_sqlite

TENANT = UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2030, 1, 1, tzinfo=UTC)


class Rollback(Exception):
    """Raised to abandon a unit of work."""


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await fresh_sqlite(tmp_path)
    yield database
    await database.dispose()


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[Database]:
    database = await fresh_postgres(postgres_url)
    yield database
    await database.dispose()


Engines = Callable[[Database], SqlInventoryEngine]


@pytest.fixture
async def engines() -> AsyncIterator[Engines]:
    """Makes SQL engines, closed after the test (on Postgres they hold connections of their own)."""
    made: list[SqlInventoryEngine] = []

    def make(database: Database) -> SqlInventoryEngine:
        made.append(SqlInventoryEngine(database))
        return made[-1]

    yield make
    for engine in made:
        await engine.aclose()


@pytest.fixture(params=["sqlite_db", "postgres_db"])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def make_hold(
    listing_id: UUID,
    lines: Sequence[tuple[UUID, int]],
    *,
    customer: str = "ann",
    at: datetime = NOW,
    ttl: timedelta = timedelta(minutes=10),
    hold_id: UUID | None = None,
) -> Hold:
    return Hold(
        id=hold_id or uuid4(),
        tenant_id=TENANT,
        listing_id=listing_id,
        customer_ref=customer,
        lines=tuple(HoldLine(pool, qty, unit_price=1000) for pool, qty in lines),
        currency="EUR",
        created_at=at,
        expires_at=at + ttl,
    )


async def new_pools(engine: SqlInventoryEngine, capacity: int, count: int = 1) -> tuple[UUID, list[UUID]]:
    listing_id, pools = uuid4(), [uuid4() for _ in range(count)]
    for pool in pools:
        await engine.add_pool(PoolCounters(pool, listing_id, capacity))
    return listing_id, pools


async def customer_units(database: Database, listing_id: UUID) -> dict[str, int]:
    table = inventory_customer_units
    stmt = select(table.c.customer_ref, table.c.units).where(table.c.listing_id == listing_id)
    async with database.reading() as session:
        return {ref: units for ref, units in await session.execute(stmt) if units}


async def test_the_database_itself_refuses_to_oversell(engines: Engines, database: Database) -> None:
    engine = engines(database)
    listing_id, [pool] = await new_pools(engine, capacity=2)
    await engine.place_hold(make_hold(listing_id, [(pool, 2)]), customer_limit=None)
    oversell = text("UPDATE inventory_pools SET sold = sold + 1 WHERE pool_id = :pool").bindparams(
        bindparam("pool", type_=Uuid)
    )
    with pytest.raises(IntegrityError, match="within_capacity"):
        async with database.transaction() as session:
            await session.execute(oversell, {"pool": pool})
    [counters] = await engine.counters([pool])
    assert (counters.held, counters.sold) == (2, 0)


async def test_adding_a_pool_twice_keeps_its_counters(engines: Engines, sqlite_db: Database) -> None:
    engine = engines(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    await engine.place_hold(make_hold(listing_id, [(pool, 2)]), customer_limit=None)
    again = await engine.add_pool(PoolCounters(pool, listing_id, capacity=9))
    assert (again.capacity, again.held, again.sold) == (5, 2, 0)


async def test_a_rolled_back_unit_of_work_takes_the_confirm_with_it(engines: Engines, database: Database) -> None:
    engine = engines(database)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    hold = await engine.place_hold(make_hold(listing_id, [(pool, 2)]), customer_limit=None)
    with pytest.raises(Rollback):
        await confirm_then_abandon(database, engine, hold.id)
    assert await engine.get_hold(hold.id) == hold
    [counters] = await engine.counters([pool])
    assert (counters.held, counters.sold) == (2, 0)


async def confirm_then_abandon(database: Database, engine: SqlInventoryEngine, hold_id: UUID) -> None:
    async with database.transaction():
        assert (await engine.confirm(hold_id, NOW)).status is HoldStatus.CONFIRMED
        seen = await engine.get_hold(hold_id)  # reads join the unit of work too
        assert seen is not None
        assert seen.status is HoldStatus.CONFIRMED
        raise Rollback


async def test_a_refused_hold_inside_a_unit_of_work_leaves_no_partial_reservation(
    engines: Engines,
    database: Database,
) -> None:
    engine = engines(database)
    listing_id, [roomy, tight] = await new_pools(engine, capacity=3, count=2)
    kept = make_hold(listing_id, [(tight, 3)])
    refused = make_hold(listing_id, [(roomy, 1), (tight, 1)])
    async with database.transaction():
        await engine.place_hold(kept, customer_limit=None)
        with pytest.raises(InsufficientInventoryError) as refusal:
            await engine.place_hold(refused, customer_limit=None)
    assert refusal.value.short == {tight: 0}
    assert await engine.get_hold(refused.id) is None
    counters = await engine.counters([roomy, tight])
    assert [(pool.held, pool.sold) for pool in counters] == [(0, 0), (3, 0)]
    assert await customer_units(database, listing_id) == {"ann": 3}


async def test_sqlite_gives_times_back_as_aware_utc(engines: Engines, sqlite_db: Database) -> None:
    engine = engines(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    paris = timezone(timedelta(hours=2))
    placed = make_hold(listing_id, [(pool, 1)], at=NOW.astimezone(paris), ttl=timedelta(minutes=1))
    await engine.place_hold(placed, customer_limit=None)
    stored = await engine.get_hold(placed.id)
    assert stored is not None
    assert (stored.created_at, stored.expires_at) == (NOW, NOW + timedelta(minutes=1))
    assert stored.created_at.tzinfo is UTC
    new_york = timezone(timedelta(hours=-5))
    assert await engine.expire_due(NOW.astimezone(new_york) + timedelta(seconds=59)) == []
    [expired] = await engine.expire_due(NOW.astimezone(new_york) + timedelta(minutes=1))
    assert expired.id == placed.id


@pytest.mark.parametrize("run", range(3))
async def test_racing_sweeps_and_releases_return_stock_exactly_once(
    engines: Engines, postgres_db: Database, run: int
) -> None:
    engine = engines(postgres_db)
    listing_id, [pool] = await new_pools(engine, capacity=100)
    customers = [f"customer-{n}" for n in range(5)]
    lasting = [make_hold(listing_id, [(pool, 1)], customer=c, ttl=timedelta(hours=1)) for c in customers]
    due = [make_hold(listing_id, [(pool, 1)], customer=customers[n % 5], ttl=timedelta(minutes=1)) for n in range(60)]
    for hold in lasting + due:
        await engine.place_hold(hold, customer_limit=None)

    later = NOW + timedelta(minutes=2)
    sweeps = [engine.expire_due(later, limit=15) for _ in range(6)]
    releases = [engine.release(hold.id, later) for hold in due]
    outcomes = await asyncio.gather(*sweeps, *releases)

    swept = [hold.id for batch in outcomes[: len(sweeps)] for hold in batch]  # type: ignore[union-attr]
    assert len(swept) == len(set(swept))
    assert all(hold.status is HoldStatus.EXPIRED for hold in outcomes[len(sweeps) :])  # type: ignore[union-attr]
    [counters] = await engine.counters([pool])
    assert (counters.held, counters.sold) == (len(lasting), 0)
    assert await customer_units(postgres_db, listing_id) == dict.fromkeys(customers, 1)


async def test_one_hold_id_placed_concurrently_reserves_once(engines: Engines, postgres_db: Database) -> None:
    engine = engines(postgres_db)
    listing_id, [pool] = await new_pools(engine, capacity=10)
    hold_id = uuid4()
    same = make_hold(listing_id, [(pool, 2)], hold_id=hold_id)
    other = make_hold(listing_id, [(pool, 3)], hold_id=hold_id)
    requests = [same] * 40 + [other]
    random.Random(7).shuffle(requests)
    outcomes = await asyncio.gather(*(attempt(engine.place_hold(h, 4)) for h in requests))

    stored = await engine.get_hold(hold_id)
    assert stored is not None
    for request, outcome in zip(requests, outcomes, strict=True):
        if stored.same_request(request):
            assert outcome == stored
        else:
            assert isinstance(outcome, HoldMismatchError)
    [counters] = await engine.counters([pool])
    assert counters.held == stored.quantity
    assert await customer_units(postgres_db, listing_id) == {"ann": stored.quantity}


async def test_mixed_traffic_neither_deadlocks_nor_drifts(engines: Engines, postgres_db: Database) -> None:
    """Multi-line holds in every pool order, placing (which expires), releasing and sweeping at once."""
    engine = engines(postgres_db)
    listing_id, pools = await new_pools(engine, capacity=30, count=4)
    rng = random.Random(11)

    def random_hold(at: datetime) -> Hold:
        chosen = rng.sample(pools, rng.randint(1, 4))
        customer = rng.choice(["ann", "bob", "cy", "dee"])
        return make_hold(
            listing_id, [(p, rng.randint(1, 3)) for p in chosen], customer=customer, at=at, ttl=timedelta(seconds=30)
        )

    first = [random_hold(NOW) for _ in range(60)]
    await asyncio.gather(*(attempt(engine.place_hold(h, 40)) for h in first))
    later = NOW + timedelta(minutes=1)
    second = [random_hold(later) for _ in range(120)]
    work = [engine.place_hold(h, 40) for h in second]
    work += [engine.release(h.id, later) for h in first[::2]]
    work += [engine.expire_due(later, limit=10) for _ in range(4)]
    rng.shuffle(work)
    outcomes = await asyncio.gather(*(attempt(w) for w in work))

    assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError)]
    await assert_counters_match_holds(engine, postgres_db, listing_id, pools, [h.id for h in first + second])


async def attempt(call: object) -> object:
    """The call's result, or the error it raised: lets gather keep every outcome."""
    try:
        return await call  # type: ignore[misc]
    except Exception as exc:
        return exc


async def assert_counters_match_holds(
    engine: SqlInventoryEngine, database: Database, listing_id: UUID, pools: list[UUID], hold_ids: list[UUID]
) -> None:
    held: Counter[UUID] = Counter()
    sold: Counter[UUID] = Counter()
    units: Counter[str] = Counter()
    for hold_id in hold_ids:
        hold = await engine.get_hold(hold_id)
        if hold is None or hold.status not in (HoldStatus.ACTIVE, HoldStatus.CONFIRMED):
            continue
        units[hold.customer_ref] += hold.quantity
        for line in hold.lines:
            (held if hold.status is HoldStatus.ACTIVE else sold)[line.pool_id] += line.quantity
    for counters in await engine.counters(pools):
        assert (counters.held, counters.sold) == (held[counters.pool_id], sold[counters.pool_id])
    assert await customer_units(database, listing_id) == dict(units)
