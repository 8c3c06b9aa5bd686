"""On SQLite, placing or refusing a new hold runs whole on the writer thread (one hop from the
event loop, instead of three or four a statement through aiosqlite); a retried id or due holds
take the general path, with the same outcome. Concurrent holds share one transaction there (a
group commit), each decided and rolled back alone. The conformance suite covers the behaviour;
these pin down where it runs and that grouping changes no outcome."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from domain.errors import CustomerLimitExceededError, HoldMismatchError, InsufficientInventoryError, NotFoundError
from domain.inventory import Hold, HoldStatus
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.persistence.database import Database
from tests.engines import fresh_sqlite
from tests.integration.test_sql_engine import customer_units, make_hold, new_pools

WRITER = "holdfast-sqlite-writer"


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await fresh_sqlite(tmp_path)
    yield database
    await database.dispose()


@contextmanager
def threads_of_statements(database: Database) -> Iterator[list[str]]:
    """The name of the thread each statement (and commit) ran on: through SQLAlchemy on either
    engine, and every statement SQLite itself runs on the writer's connection (the plain hold's
    statements go to the driver directly)."""
    seen: list[str] = []
    assert database.writer_engine is not None
    engines = (database.engine.sync_engine, database.writer_engine)

    def record(*_: Any) -> None:
        seen.append(threading.current_thread().name)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
        event.listen(engine, "commit", record)
    with _traced(database.writer_engine, record):
        try:
            yield seen
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", record)
                event.remove(engine, "commit", record)


@contextmanager
def _traced(engine: Engine, record: Callable[[str], None]) -> Iterator[None]:
    """``record`` each statement SQLite runs on ``engine``'s one pooled connection."""
    pooled = engine.raw_connection()
    driver = pooled.driver_connection
    pooled.close()  # back to the pool, for the writer thread; the callback stays on it
    assert driver is not None
    driver.set_trace_callback(record)
    try:
        yield
    finally:
        driver.set_trace_callback(None)


@contextmanager
def statements_on_writer(database: Database) -> Iterator[list[str]]:
    """The text of each statement SQLite runs on the writer's connection."""
    seen: list[str] = []
    assert database.writer_engine is not None
    with _traced(database.writer_engine, seen.append):
        yield seen


async def test_a_plain_hold_runs_whole_on_the_writer_thread(sqlite_db: Database) -> None:
    engine = SqlInventoryEngine(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    hold = make_hold(listing_id, [(pool, 2)])

    with threads_of_statements(sqlite_db) as threads, statements_on_writer(sqlite_db) as statements:
        assert await engine.place_hold(hold, customer_limit=4) == hold

    assert threads
    assert {name.rsplit("_", 1)[0] for name in threads} == {WRITER}
    assert any(sql.startswith("INSERT INTO inventory_holds ") for sql in statements)
    assert any(sql.startswith("UPDATE inventory_pools ") for sql in statements)
    assert (await engine.counters([pool]))[0].held == 2
    with threads_of_statements(sqlite_db) as threads, pytest.raises(InsufficientInventoryError):
        await engine.place_hold(make_hold(listing_id, [(pool, 4)], customer="bob"), customer_limit=4)
    assert {name.rsplit("_", 1)[0] for name in threads} == {WRITER}
    stored = await engine.get_hold(hold.id)
    assert stored == hold
    assert stored is not None
    assert stored.status is HoldStatus.ACTIVE


async def test_refusals_retries_and_due_holds_leave_nothing_of_a_rolled_back_attempt(sqlite_db: Database) -> None:
    """Refusals are answered from the writer thread, rolled back whole; a retried id and due
    holds go the general path, which sees no trace of the attempt: the same answers as without."""
    engine = SqlInventoryEngine(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=3)
    first = make_hold(listing_id, [(pool, 2)], customer="ann")
    assert await engine.place_hold(first, customer_limit=2) == first

    with pytest.raises(InsufficientInventoryError):
        await engine.place_hold(make_hold(listing_id, [(pool, 2)], customer="bob"), customer_limit=2)
    with pytest.raises(CustomerLimitExceededError):
        await engine.place_hold(make_hold(listing_id, [(pool, 1)], customer="ann"), customer_limit=2)
    assert await engine.place_hold(first, customer_limit=2) == first  # a retry: the same hold

    later = make_hold(listing_id, [(pool, 3)], customer="cy", at=first.expires_at)  # ann's is due by then
    assert await engine.place_hold(later, customer_limit=3) == later
    assert (await engine.get_hold(first.id)).status is HoldStatus.EXPIRED  # type: ignore[union-attr]
    [counters] = await engine.counters([pool])
    assert (counters.held, counters.sold) == (3, 0)


# -- group commit: concurrent calls share one writer-thread transaction ------------------------


@contextmanager
def commits_of(engine: Engine) -> Iterator[list[str]]:
    """One entry a transaction committed on ``engine``."""
    seen: list[str] = []

    def record(*_: Any) -> None:
        seen.append("commit")

    event.listen(engine, "commit", record)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", record)


async def test_concurrent_holds_share_a_commit_and_exactly_the_capacity_is_held(sqlite_db: Database) -> None:
    """40 buyers at once for 5 units: they are placed in one writer transaction, yet each is
    decided alone -- exactly 5 holds, 35 refusals naming the pool as empty, no unit twice."""
    engine = SqlInventoryEngine(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    holds = [make_hold(listing_id, [(pool, 1)], customer=f"buyer-{n}") for n in range(40)]

    assert sqlite_db.writer_engine is not None
    with commits_of(sqlite_db.writer_engine) as commits:
        placing = (engine.place_hold(hold, customer_limit=1) for hold in holds)
        outcomes = await asyncio.gather(*placing, return_exceptions=True)

    placed = [outcome for outcome in outcomes if isinstance(outcome, Hold)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, Hold)]
    assert len(placed) == 5
    assert len(refused) == 35
    assert all(isinstance(exc, InsufficientInventoryError) and exc.short == {pool: 0} for exc in refused)
    assert len(commits) == 1  # one group, one commit (one a hold before)
    [counters] = await engine.counters([pool])
    assert (counters.held, counters.sold) == (5, 0)
    for hold in holds:
        stored = await engine.get_hold(hold.id)
        assert (stored is not None) == (hold in placed)
    assert await customer_units(sqlite_db, listing_id) == {hold.customer_ref: 1 for hold in placed}


async def test_a_refused_hold_in_a_group_rolls_back_alone(sqlite_db: Database) -> None:
    """One group with holds refused for every reason (a pool short after another line was taken,
    the customer limit, a pool of another listing, a reused id with another request) and a plain
    retry: each gets its own answer, and only the placed holds' units and rows remain."""
    engine = SqlInventoryEngine(sqlite_db)
    listing_id, [roomy, scarce] = await new_pools(engine, capacity=10, count=2)
    await engine.resize(scarce, 1)
    _, [foreign] = await new_pools(engine, capacity=10)

    first = make_hold(listing_id, [(scarce, 1)], customer="ann")
    both = make_hold(listing_id, [(roomy, 2), (scarce, 1)], customer="bob")  # roomy taken, then scarce short
    greedy = make_hold(listing_id, [(roomy, 3)], customer="cy")  # over the limit of 2
    elsewhere = make_hold(listing_id, [(foreign, 1)], customer="dee")
    fine = make_hold(listing_id, [(roomy, 2)], customer="eve")
    mismatch = make_hold(listing_id, [(roomy, 1)], customer="fay", hold_id=fine.id)
    again = make_hold(listing_id, [(roomy, 2)], customer="eve", hold_id=fine.id, at=fine.created_at)
    group = [first, both, greedy, elsewhere, fine, mismatch, again]

    outcomes = await asyncio.gather(*(engine.place_hold(h, customer_limit=2) for h in group), return_exceptions=True)

    assert outcomes[0] == first
    assert isinstance(outcomes[1], InsufficientInventoryError)
    assert outcomes[1].short == {scarce: 0}
    assert isinstance(outcomes[2], CustomerLimitExceededError)
    assert isinstance(outcomes[3], NotFoundError)
    assert outcomes[4] == fine
    assert isinstance(outcomes[5], HoldMismatchError)
    assert outcomes[6] == fine  # a retry of the same request: the same hold
    roomy_now, scarce_now = await engine.counters([roomy, scarce])
    assert (roomy_now.held, scarce_now.held) == (2, 1)  # bob's 2 of roomy were given back with his savepoint
    assert await customer_units(sqlite_db, listing_id) == {"ann": 1, "eve": 2}
    for refused in (both, greedy, elsewhere):
        assert await engine.get_hold(refused.id) is None


async def test_a_failed_shared_transaction_keeps_nothing_and_each_call_runs_again_alone(sqlite_db: Database) -> None:
    """The shared commit fails (one call left a deferred foreign-key violation): nothing of the
    group is kept, each call runs again in a transaction of its own, the bad one fails alone and
    the others are committed once each."""
    runs: Counter[str] = Counter()

    def insert_pool(name: str) -> Callable[[Connection], str]:
        def work(connection: Connection) -> str:
            runs[name] += 1
            connection.exec_driver_sql(
                "INSERT INTO inventory_pools (pool_id, listing_id, capacity, held, sold) VALUES (?, ?, 1, 0, 0)",
                (name, "listing"),
            )
            return name

        return work

    def dangling_line(connection: Connection) -> str:
        runs["bad"] += 1
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT, not here
        connection.exec_driver_sql(
            "INSERT INTO inventory_hold_lines (hold_id, pool_id, position, quantity, unit_price)"
            " VALUES ('no-such-hold', 'no-such-pool', 0, 1, 0)"
        )
        return "bad"

    works = [insert_pool("p1"), dangling_line, insert_pool("p2")]
    outcomes = await asyncio.gather(*(sqlite_db.in_writer_thread(w) for w in works), return_exceptions=True)

    assert outcomes[0] == "p1"
    assert isinstance(outcomes[1], IntegrityError)
    assert outcomes[2] == "p2"
    assert runs == {"p1": 2, "bad": 2, "p2": 2}  # together once, then alone
    async with sqlite_db.reading() as session:
        pools = (await session.execute(text("SELECT pool_id FROM inventory_pools ORDER BY pool_id"))).scalars().all()
        lines = (await session.execute(text("SELECT count(*) FROM inventory_hold_lines"))).scalar_one()
    assert pools == ["p1", "p2"]
    assert lines == 0


async def test_a_call_raising_mid_group_leaves_nothing_of_its_own(sqlite_db: Database) -> None:
    """A call that wrote, then raised (a bug, a driver error): its savepoint is rolled back, its
    caller gets the exception, the calls before and after it in the group are committed."""

    def write(name: str, *, then_fail: bool = False) -> Callable[[Connection], str]:
        def work(connection: Connection) -> str:
            connection.exec_driver_sql(
                "INSERT INTO inventory_pools (pool_id, listing_id, capacity, held, sold) VALUES (?, ?, 1, 0, 0)",
                (name, "listing"),
            )
            if then_fail:
                raise RuntimeError(f"{name} broke after writing")
            return name

        return work

    works = [write("a"), write("b", then_fail=True), write("c")]
    assert sqlite_db.writer_engine is not None
    with commits_of(sqlite_db.writer_engine) as commits:
        outcomes = await asyncio.gather(*(sqlite_db.in_writer_thread(w) for w in works), return_exceptions=True)

    assert outcomes[0] == "a"
    assert isinstance(outcomes[1], RuntimeError)
    assert outcomes[2] == "c"
    assert len(commits) == 1
    async with sqlite_db.reading() as session:
        pools = (await session.execute(text("SELECT pool_id FROM inventory_pools ORDER BY pool_id"))).scalars().all()
    assert pools == ["a", "c"]


async def test_a_driver_error_on_the_plain_path_is_sqlalchemys_and_keeps_nothing(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """The plain hold's statements go to the driver directly; its errors still reach the caller
    as SQLAlchemy's (a locked database: ``OperationalError``, answered 503 over HTTP)."""
    engine = SqlInventoryEngine(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    assert sqlite_db.writer_engine is not None
    pooled = sqlite_db.writer_engine.raw_connection()
    assert pooled.driver_connection is not None
    pooled.driver_connection.execute("PRAGMA busy_timeout = 0")  # fail at once instead of waiting
    pooled.close()
    other = sqlite3.connect(tmp_path / "inventory.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock
        with pytest.raises(OperationalError, match="database is locked"):
            await engine.place_hold(make_hold(listing_id, [(pool, 1)]), customer_limit=None)
        other.execute("ROLLBACK")
    finally:
        other.close()
    [counters] = await engine.counters([pool])
    assert counters.held == 0
