"""Readiness probes of the dependencies the service was configured with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from alembic.runtime.migration import MigrationContext
from redis.asyncio import Redis
from sqlalchemy import text

from application.use_cases.inventory_state import REPAIR
from infrastructure.migrations import schema_problem
from infrastructure.persistence.database import Database

PROBE_TIMEOUT_SECONDS = 2.0


async def database_ready(database: Database) -> str | None:
    """None when the database answers, else why not."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


async def redis_ready(redis: Redis) -> str | None:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await redis.ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


async def inventory_ready(state_missing: Callable[[], Awaitable[bool]]) -> str | None:
    """None while the inventory engine has its state (``CheckInventoryStateHandler``: one cheap
    call per probe, whatever the number of listings), else why not and what repairs it."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            missing = await state_missing()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return f"the inventory engine has lost its state; run `{REPAIR}`" if missing else None


async def schema_ready(database: Database, head: str | None) -> str | None:
    """None when the database's schema is at ``head`` (the code's migration head), else why not
    and what to do (``holdfast migrate``, or newer code for a database ahead of this one). One
    read of ``alembic_version``: cheap enough for every readiness probe."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            revision = await current_revision(database)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return schema_problem(revision, head)


async def current_revision(database: Database) -> str | None:
    """The migration revision the database is at (None: no schema yet)."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
