"""A service that cannot work says so, once, instead of looking healthy or flooding its log.

* The database's schema must be the code's: readiness answers 503 saying ``holdfast migrate``
  (or that newer code migrated it), and ``holdfast serve`` / ``holdfast worker`` refuse to start
  with that message, on SQLite and on Postgres.
* Postgres or Redis unreachable at start-up: the real ``holdfast serve`` and ``holdfast worker``
  processes wait for up to ``HOLDFAST_STARTUP_WAIT_SECONDS`` with a backoff, one line per try
  naming the setting, then exit with status 1 (as ``ops/local-stack/up.sh`` expects of them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure import migrations
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
HOLDFAST = [sys.executable, "-m", "interfaces.cli"]
WAIT_SECONDS = 3  # HOLDFAST_STARTUP_WAIT_SECONDS for these runs
# Generous: a process that is still up this long after its wait ran out never gave up.
EXIT_DEADLINE = WAIT_SECONDS + 60
# One line per try (0.5 s doubling up to 5 s, with jitter), plus the process's own few lines.
MOST_LOG_LINES = 15


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOLDFAST_")}
    return {
        **env,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "HOLDFAST_DATABASE_URL": database_url,
        "HOLDFAST_PORT": str(free_port()),
        "HOLDFAST_STARTUP_WAIT_SECONDS": str(WAIT_SECONDS),
        **extra,
    }


def _holdfast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run it to its end; a process that never exits fails the test (TimeoutExpired)."""
    return subprocess.run([*HOLDFAST, *args], env=env, capture_output=True, text=True, timeout=EXIT_DEADLINE)


async def _ready(database_url: str) -> httpx.Response:
    settings = Settings(database_url=database_url, expiry_sweep_seconds=0)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        try:
            return await client.get("/health/ready")
        finally:
            await app.state.container.gateways.database().dispose()


async def _stamp(database_url: str, revision: str) -> None:
    """The record of a database migrated by newer code: a revision this code does not have."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        await engine.dispose()


@pytest.fixture
def behind(empty_database_url: str) -> str:
    """A database one migration short of the code's head."""
    migrations.upgrade(empty_database_url, "head")
    migrations.downgrade(empty_database_url, "-1")
    return empty_database_url


@pytest.mark.parametrize("how", ["no schema", "behind"])
async def test_readiness_says_migrate_when_the_schema_is_not_the_codes(empty_database_url: str, how: str) -> None:
    if how == "behind":
        migrations.upgrade(empty_database_url, "head")
        migrations.downgrade(empty_database_url, "-1")
    response = await _ready(empty_database_url)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert "run `holdfast migrate`" in checks["schema"]


async def test_readiness_refuses_a_database_migrated_by_newer_code(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "head")
    await _stamp(empty_database_url, "9999_newer")
    response = await _ready(empty_database_url)
    assert response.status_code == 503, response.text
    schema = response.json()["checks"]["schema"]
    assert "9999_newer" in schema
    assert "migrated by newer code" in schema


async def test_readiness_is_ready_at_the_head(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "head")
    response = await _ready(empty_database_url)
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["schema"] == "ok"


def test_serve_refuses_to_start_on_an_unmigrated_database(empty_database_url: str) -> None:
    result = _holdfast(_env(empty_database_url), "serve")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "run `holdfast migrate`" in result.stderr


def test_the_worker_refuses_to_start_on_a_database_behind_the_code(behind: str, redis_url: str) -> None:
    result = _holdfast(_env(behind, HOLDFAST_JOBS="saq", HOLDFAST_REDIS_URL=redis_url), "worker")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "run `holdfast migrate`" in result.stderr


async def test_serve_refuses_to_start_on_a_database_migrated_by_newer_code(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "head")
    await _stamp(empty_database_url, "9999_newer")
    result = await asyncio.to_thread(_holdfast, _env(empty_database_url), "serve")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "9999_newer" in result.stderr
    assert "migrated by newer code" in result.stderr


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return (result.stdout + result.stderr).splitlines()


def test_serve_with_postgres_unreachable_waits_quietly_then_exits() -> None:
    closed = f"postgresql://holdfast@127.0.0.1:{free_port()}/holdfast"
    # Readable lines (a traceback is many lines) and the in-process jobs: the noisiest set-up.
    result = _holdfast(_env(closed, HOLDFAST_ENV="development", HOLDFAST_JOBS="in-process"), "serve")
    assert result.returncode == 1, "\n".join(_lines(result))
    assert "HOLDFAST_DATABASE_URL" in result.stderr.splitlines()[-1]
    assert len(_lines(result)) <= MOST_LOG_LINES, "\n".join(_lines(result))


def test_a_worker_with_redis_unreachable_waits_quietly_then_exits(postgres_url: str) -> None:
    from tests.databases import migrated_postgres

    database_url = migrated_postgres(postgres_url, "holdfast_startup")
    closed = f"redis://127.0.0.1:{free_port()}/0"
    env = _env(database_url, HOLDFAST_ENV="development", HOLDFAST_JOBS="saq", HOLDFAST_REDIS_URL=closed)
    result = _holdfast(env, "worker")
    assert result.returncode == 1, "\n".join(_lines(result))
    assert "HOLDFAST_REDIS_URL" in result.stderr.splitlines()[-1]
    assert len(_lines(result)) <= MOST_LOG_LINES, "\n".join(_lines(result))
