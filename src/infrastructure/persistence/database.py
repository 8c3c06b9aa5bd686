"""The database handle: engine, sessions, and the ambient transaction adapters join.

A use case's unit of work opens a transaction; the SQL inventory engine, called inside it,
joins that same transaction instead of opening its own. Confirming a hold and writing its
booking therefore commit together or not at all. Outside a unit of work, each engine call
runs in a transaction of its own.

SQLite allows one writer at a time; the embedded default is one process, so writers queue on
an in-process lock instead of failing with "database is locked".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_ambient: ContextVar[AsyncSession | None] = ContextVar("holdfast_ambient_session", default=None)


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 20) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

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
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads: the ambient one if any, else a fresh one, no writer lock."""
        current = _ambient.get()
        if current is not None:
            yield current
            return
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
