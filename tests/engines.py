"""How the tests build each inventory engine on a clean slate."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy import text

from application.ports.inventory import InventoryEngine
from infrastructure.inventory.memory import MemoryInventoryEngine
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.inventory.sql_tables import INVENTORY_TABLES
from infrastructure.persistence.database import Database
from infrastructure.persistence.metadata import metadata
from infrastructure.redis_connections import with_fast_packing


async def _nothing() -> None:
    return None


@dataclass
class EngineHandle:
    engine: InventoryEngine
    aclose: Callable[[], Awaitable[None]] = _nothing


async def memory_engine() -> EngineHandle:
    return EngineHandle(MemoryInventoryEngine())


async def sqlite_engine() -> EngineHandle:
    """A SQL engine on a fresh SQLite file, removed on close."""
    folder = Path(tempfile.mkdtemp(prefix="holdfast-sqlite-"))
    database = await fresh_sqlite(folder)

    async def aclose() -> None:
        await database.dispose()
        shutil.rmtree(folder, ignore_errors=True)

    return EngineHandle(SqlInventoryEngine(database), aclose)


async def postgres_engine(url: str, pool_size: int = 20) -> EngineHandle:
    database = await fresh_postgres(url, pool_size)
    engine = SqlInventoryEngine(database)

    async def aclose() -> None:
        await engine.aclose()
        await database.dispose()

    return EngineHandle(engine, aclose)


async def redis_engine(url: str) -> EngineHandle:
    """A Redis engine under a key prefix of its own, its keys deleted on close.

    A prefix rather than FLUSHDB: other suites may share the server's database. The pool makes
    callers wait for a free connection, as a service's would, instead of failing past its size.
    """
    # packing commands as the service's client does (infrastructure.redis_connections)
    client = Redis.from_pool(with_fast_packing(BlockingConnectionPool.from_url(url, max_connections=64, timeout=30)))
    prefix = f"hf-test-{uuid4().hex}"

    async def aclose() -> None:
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
            for start in range(0, len(keys), 500):
                await client.delete(*keys[start : start + 500])
        finally:
            await client.aclose()

    return EngineHandle(RedisLuaInventoryEngine(client, prefix=prefix), aclose)


async def fresh_sqlite(folder: Path) -> Database:
    """A database in ``folder`` with empty inventory tables."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'inventory.db'}")
    await _create_inventory_tables(database)
    return database


_POSTGRES_READY: set[str] = set()


async def fresh_postgres(url: str, pool_size: int = 20) -> Database:
    """Postgres with empty inventory tables: created once per server, emptied on every call."""
    database = Database(url, pool_size=pool_size)
    if url not in _POSTGRES_READY:
        await _create_inventory_tables(database)
        _POSTGRES_READY.add(url)
    names = ", ".join(table.name for table in INVENTORY_TABLES)
    async with database.transaction() as session:
        await session.execute(text(f"TRUNCATE {names}"))
    return database


async def _create_inventory_tables(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all, tables=list(INVENTORY_TABLES))
