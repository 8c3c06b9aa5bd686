"""What ``holdfast serve`` and ``holdfast worker`` check before they start: Postgres (or SQLite)
and Redis answer, and the database's schema is the one this code was written for.

A dependency that does not answer yet (the stack is still coming up, a failover) is waited for:
tried again with the project's one backoff, one log line per try naming the setting to check,
for up to ``HOLDFAST_STARTUP_WAIT_SECONDS``; then the process gives up and exits with status 1,
so that a supervisor (Kubernetes, compose, ``ops/local-stack/up.sh``) sees it rather than a
process that stays up doing nothing but log errors. A schema that is not at the code's head is
refused at once: waiting would not migrate it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from loguru import logger
from redis.asyncio import Redis

from domain.webhooks import backoff
from infrastructure.diagnostics import migration_head, scrub_passwords
from infrastructure.health import current_revision, database_ready, redis_ready
from infrastructure.migrations import schema_problem
from infrastructure.persistence.database import Database
from infrastructure.settings import Settings

FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 5.0


class StartupError(Exception):
    """The process cannot start; the message says why and what to do."""


async def check_startup(settings: Settings) -> None:
    """Return once every dependency answers and the schema is at head; else ``StartupError``."""
    database = Database(settings.database_url, pool_size=1)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    limit = settings.startup_wait_seconds
    give_up = time.monotonic() + limit  # one wait for all of them
    try:
        await _wait_for(
            "the database",
            "HOLDFAST_DATABASE_URL",
            _scrubbed(lambda: database_ready(database), settings),
            give_up,
            limit,
        )
        if redis is not None:
            await _wait_for(
                "Redis", "HOLDFAST_REDIS_URL", _scrubbed(lambda: redis_ready(redis), settings), give_up, limit
            )
        await _check_schema(database, give_up, limit, settings)
    finally:
        if redis is not None:
            await redis.aclose()
        await database.dispose()


def _scrubbed(probe: Callable[[], Awaitable[str | None]], settings: Settings) -> Callable[[], Awaitable[str | None]]:
    """The probe, with the URLs' passwords masked in its reason (a driver may quote its URL)."""

    async def scrubbed() -> str | None:
        return scrub_passwords(await probe(), settings)

    return scrubbed


async def _check_schema(database: Database, give_up: float, limit: float, settings: Settings) -> None:
    """Refuse a schema that is not at the code's head at once; a read that fails or is slow (a
    busy machine) is only a reason to try again within the same wait."""
    problems: list[str | None] = []

    async def read() -> str | None:
        try:
            async with asyncio.timeout(max(give_up - time.monotonic(), 0.1)):
                revision = await current_revision(database)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        problems.append(schema_problem(revision, migration_head()))
        return None

    await _wait_for("the database's schema", "HOLDFAST_DATABASE_URL", _scrubbed(read, settings), give_up, limit)
    if problems[-1] is not None:
        raise StartupError(problems[-1])


async def _wait_for(
    what: str, setting: str, probe: Callable[[], Awaitable[str | None]], give_up: float, limit: float
) -> None:
    tries = 0
    while (reason := await probe()) is not None:
        tries += 1
        left = give_up - time.monotonic()
        if left <= 0:
            raise StartupError(f"{what} did not answer within {limit:g} s; check {setting} ({reason})")
        delay = min(left, backoff(tries, random.random(), FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS).total_seconds())
        logger.warning("waiting for {} (check {}): {}; trying again in {:.1f} s", what, setting, reason, delay)
        await asyncio.sleep(delay)
