"""On SQLite, placing or refusing a new hold runs whole on the writer thread (one hop from the
event loop, instead of three or four a statement through aiosqlite); a retried id or due holds
take the general path, with the same outcome. The conformance suite covers the behaviour; these
pin down where it runs."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from domain.errors import CustomerLimitExceededError, InsufficientInventoryError
from domain.inventory import HoldStatus
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.persistence.database import Database
from tests.engines import fresh_sqlite
from tests.integration.test_sql_engine import make_hold, new_pools

WRITER = "holdfast-sqlite-writer"


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await fresh_sqlite(tmp_path)
    yield database
    await database.dispose()


@contextmanager
def threads_of_statements(*engines: Engine) -> Iterator[list[str]]:
    """The name of the thread each statement (and commit) ran on."""
    seen: list[str] = []

    def record(*_: Any) -> None:
        seen.append(threading.current_thread().name)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
        event.listen(engine, "commit", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
            event.remove(engine, "commit", record)


def _engines(database: Database) -> tuple[Engine, ...]:
    assert database.writer_engine is not None
    return database.engine.sync_engine, database.writer_engine


async def test_a_plain_hold_runs_whole_on_the_writer_thread(sqlite_db: Database) -> None:
    engine = SqlInventoryEngine(sqlite_db)
    listing_id, [pool] = await new_pools(engine, capacity=5)
    hold = make_hold(listing_id, [(pool, 2)])

    with threads_of_statements(*_engines(sqlite_db)) as threads:
        assert await engine.place_hold(hold, customer_limit=4) == hold

    assert threads
    assert {name.rsplit("_", 1)[0] for name in threads} == {WRITER}
    assert (await engine.counters([pool]))[0].held == 2
    with threads_of_statements(*_engines(sqlite_db)) as threads, pytest.raises(InsufficientInventoryError):
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
