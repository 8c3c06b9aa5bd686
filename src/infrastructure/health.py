"""Readiness probes of the dependencies the service was configured with."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from sqlalchemy import text

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
