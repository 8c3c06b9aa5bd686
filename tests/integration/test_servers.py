"""The test set-up itself: the Postgres and Redis it hands out are real, reachable and recent enough."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import redis.asyncio as redis


async def test_postgres_answers_and_is_at_least_version_15(postgres_url: str) -> None:
    # asyncpg takes a libpq-style DSN, not SQLAlchemy's "+asyncpg" dialect suffix.
    connection = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        assert await connection.fetchval("SELECT 1") == 1
        assert connection.get_server_version().major >= 15
    finally:
        await connection.close()


async def test_redis_answers_ping_and_round_trips_a_value(redis_url: str) -> None:
    client = redis.from_url(redis_url)
    key = f"holdfast:test-servers:{uuid4()}"  # unique, in case the URL points at a shared server
    try:
        assert await client.ping()
        await client.set(key, "ok", ex=60)
        assert await client.get(key) == b"ok"
    finally:
        await client.delete(key)
        await client.aclose()
