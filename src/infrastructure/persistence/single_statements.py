"""One statement, one round trip: calls on Postgres that are a transaction by themselves.

A session of ``Database`` costs several round trips around its statement: the pool's pre-ping
(BEGIN, a ping, ROLLBACK), then BEGIN and COMMIT. A statement that is atomic by itself (one
call of a database function) needs none of them, so it runs here instead: on connections of
its own pool in autocommit mode, without a pre-ping. Inside a unit of work it joins the
ambient transaction, like every engine call, and commits or rolls back with it.

Without the pre-ping, a connection that died (a Postgres restart) is found by the statement
itself: SQLAlchemy then invalidates the pool, and the statement is sent once more on a fresh
connection. Only idempotent statements belong here, since a call whose reply was lost may have
committed (the hold function is: a second call with the same hold id returns the first's hold).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infrastructure.persistence.database import Database, _ambient


class SingleStatements:
    def __init__(self, database: Database) -> None:
        self._url = database.url
        self._pool_size = database.engine.pool.size()  # type: ignore[attr-defined]
        self._engine: AsyncEngine | None = None  # made on first use: most processes never call

    async def one(self, statement: Executable, params: dict[str, Any]) -> Row[Any]:
        """The single row ``statement`` returns."""
        ambient = _ambient.get()
        if ambient is not None:
            return (await ambient.execute(statement, params)).one()
        try:
            return await self._autocommit(statement, params)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return await self._autocommit(statement, params)

    async def _autocommit(self, statement: Executable, params: dict[str, Any]) -> Row[Any]:
        async with self._pool().connect() as connection:
            return (await connection.execute(statement, params)).one()

    @property
    def engine(self) -> AsyncEngine | None:
        """The autocommit engine, once a call has made it (for whoever counts statements)."""
        return self._engine

    def _pool(self) -> AsyncEngine:
        if self._engine is None:
            # As many connections as the database's own pool, no overflow: the calls are short.
            self._engine = create_async_engine(
                self._url, isolation_level="AUTOCOMMIT", pool_size=self._pool_size, max_overflow=0
            )
        return self._engine

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
