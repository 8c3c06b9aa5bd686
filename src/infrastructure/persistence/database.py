"""The database handle: engine, sessions, and the ambient transaction adapters join.

A use case's unit of work opens a transaction; the SQL inventory engine, called inside it,
joins that same transaction instead of opening its own. Confirming a hold and writing its
booking therefore commit together or not at all. Outside a unit of work, each engine call
runs in a transaction of its own.

SQLite allows one writer at a time; the embedded default is one process, so writers queue on
an in-process lock instead of failing with "database is locked".

On SQLite, the driver (aiosqlite) runs every call on a thread of the connection's own: a
statement costs three to four hops between the event loop and that thread, each waiting for
the loop to come round, all while the writer lock is held. The hot path's transactions can run
whole on ``in_writer_thread`` instead: one hop, a plain synchronous connection, the same lock.
Concurrent calls share that hop and one transaction (a group commit), each in a savepoint of
its own, so under a rush the hop, BEGIN and COMMIT are paid once a group, not once a call.

Durability on SQLite: WAL with ``synchronous=NORMAL``. A commit is atomic and the file is never
corrupted, but a power loss or OS crash (not a crash of the process) can lose the last commits
before the WAL was synced to disk (at a checkpoint). ``FULL`` would sync the WAL on every
commit. This is the embedded default only; Postgres keeps its own durability settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from application.group_commit import Failed, GroupCommit, first

_ambient: ContextVar[AsyncSession | None] = ContextVar("holdfast_ambient_session", default=None)
T = TypeVar("T")
MAX_GROUP = 64  # calls one shared writer-thread transaction runs at most
_SAVEPOINT = "holdfast_group"
_ENCODE_JSON = msgspec.json.Encoder().encode


def json_text(value: Any) -> str:
    """A JSON column's text: msgspec, not the standard library's ``json.dumps``, which was a tenth
    of the confirm path's CPU (a booking's lines and its outbox event; benchmarks/RESULTS.md, item
    7). The same documents (compact separators, UTF-8 kept as is), read back by ``json.loads``."""
    return _ENCODE_JSON(value).decode()


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 20) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo, "json_serializer": json_text}
        if not self.is_sqlite:
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            ensure_sqlite_folder(url)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # A file's: a second connection to ":memory:" would be another database.
        self.has_writer_thread = self.is_sqlite and make_url(url).database not in (None, "", ":memory:")
        self.writer_engine: Engine | None = _sync_sqlite(url) if self.has_writer_thread else None
        self._writer_thread: ThreadPoolExecutor | None = None
        self._groups: GroupCommit[Callable[[Connection], Any], Any] = GroupCommit(self._run_locked, first(MAX_GROUP))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Join the ambient transaction, or open one that commits when the block succeeds."""
        current = _ambient.get()
        if current is not None:
            yield current
            return
        async with self._writer(), self.sessions() as session, session.begin():
            token = _ambient.set(session)
            try:
                yield session
            finally:
                _ambient.reset(token)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        """A transaction the caller commits explicitly; whatever it does not commit is rolled back.

        It becomes the ambient transaction, so engine calls made inside it join it.
        """
        async with self._writer(), self.sessions() as session:
            token = _ambient.set(session)
            try:
                yield session
            finally:
                _ambient.reset(token)

    @asynccontextmanager
    async def detached(self) -> AsyncIterator[AsyncSession]:
        """A transaction of its own that commits when the block succeeds, never the ambient one:
        for a stand-in of a third party (the fake payment gateway), whose writes must neither
        commit nor roll back with the caller's unit of work.

        On SQLite, one process has one writer: inside a unit of work this would wait for itself,
        so it refuses instead (a third party is called outside transactions anyway).
        """
        if self._write_lock is not None and _ambient.get() is not None:
            raise RuntimeError("a detached SQLite transaction inside a unit of work would wait for itself")
        async with self._writer(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads: the ambient one if any, else a fresh one, no writer lock."""
        current = _ambient.get()
        if current is not None:
            yield current
            return
        async with self.sessions() as session:
            yield session

    @property
    def in_unit_of_work(self) -> bool:
        """Whether a caller's transaction is open here (engine calls must then join it)."""
        return _ambient.get() is not None

    async def in_writer_thread(self, work: Callable[[Connection], T]) -> T:
        """SQLite files only (``has_writer_thread``): ``work`` runs on one synchronous connection
        on the writer thread, under the writer lock; what it wrote is committed when it returns
        and undone when it raises, and its caller hears either only after that. Never the
        ambient transaction: callers check ``in_unit_of_work``.

        Calls made while a transaction is under way there are run together by the next one, one
        hop and one commit for up to ``MAX_GROUP`` (a group commit), each in a savepoint of its
        own: one call raising rolls back its savepoint only, never the others' work. Should the
        shared transaction fail itself (its commit, a savepoint), nothing of it is kept and each
        call runs again alone, so ``work`` must do nothing but its statements (it may run twice;
        only the last run's effects count). Nobody waits for company: a call that finds no
        transaction under way starts one at once.

        A caller cancelled meanwhile (a client gone) does not stop its group, nor hold up the
        next writer.
        """
        if self._write_lock is None or not self.has_writer_thread:
            raise RuntimeError("in_writer_thread is for a SQLite file")
        result: T = await self._groups(work)
        return result

    async def _run_locked(self, works: list[Callable[[Connection], Any]]) -> list[Any]:
        assert self._write_lock is not None
        async with self._write_lock:
            return await self._on_writer_thread(works)

    async def _on_writer_thread(self, works: list[Callable[[Connection], Any]]) -> list[Any]:
        """One hop; cancelled meanwhile, it still waits for the thread before the lock is let go,
        so the next writer does not queue on SQLite's own lock instead."""
        done = asyncio.get_running_loop().run_in_executor(self._thread(), self._run_group, works)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            await asyncio.wait([done])
            raise

    def _run_group(self, works: list[Callable[[Connection], Any]]) -> list[Any]:
        """On the writer thread: each call's result, or its exception as ``Failed``."""
        if len(works) == 1:
            return [self._alone(works[0])]
        try:
            return self._together(works)
        except Exception:  # the shared transaction failed and was rolled back: each on its own
            return [self._alone(work) for work in works]

    def _together(self, works: list[Callable[[Connection], Any]]) -> list[Any]:
        assert self.writer_engine is not None
        with self.writer_engine.begin() as connection:
            return [_in_savepoint(connection, work) for work in works]

    def _alone(self, work: Callable[[Connection], Any]) -> Any:
        assert self.writer_engine is not None
        try:
            with self.writer_engine.begin() as connection:
                return work(connection)
        except Exception as exc:
            return Failed(exc)

    def _thread(self) -> ThreadPoolExecutor:
        if self._writer_thread is None:
            self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="holdfast-sqlite-writer")
        return self._writer_thread

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._writer_thread is not None:
            thread, self._writer_thread = self._writer_thread, None
            await asyncio.get_running_loop().run_in_executor(thread, self._dispose_sync)
            thread.shutdown(wait=True)

    def _dispose_sync(self) -> None:
        """In the writer thread: its connection was made there."""
        if self.writer_engine is not None:
            self.writer_engine.dispose()


def _in_savepoint(connection: Connection, work: Callable[[Connection], Any]) -> Any:
    """``work`` in a savepoint of the shared transaction: undone alone when it raises."""
    connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
    try:
        outcome = work(connection)
    except Exception as exc:
        connection.exec_driver_sql(f"ROLLBACK TO {_SAVEPOINT}")
        outcome = Failed(exc)
    connection.exec_driver_sql(f"RELEASE {_SAVEPOINT}")
    return outcome


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder (``var/`` on a fresh checkout)."""
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sync_sqlite(url: str) -> Engine:
    """The writer thread's engine: the same file through the standard library's driver, one
    connection (one thread uses it), the same pragmas and explicit BEGIN."""
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    engine = create_engine(
        sync_url, pool_size=1, max_overflow=0, json_serializer=json_text, connect_args={"check_same_thread": False}
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # The driver would otherwise open transactions lazily, on the first write: a SAVEPOINT
    # issued before it would start (and its RELEASE commit) a transaction of its own, so a
    # rollback of the unit of work would not undo what the savepoint covered.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")
