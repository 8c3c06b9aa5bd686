"""Shared fixtures: engines on a clean slate, and the real servers the suites need."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import settings

from infrastructure import migrations
from tests import servers
from tests.databases import empty_postgres
from tests.engines import memory_engine, postgres_engine, redis_engine, sqlite_engine
from tests.property.engine_machine import EngineFactory

T = TypeVar("T")

# CI machines are slower and noisier than laptops: no per-example deadline there.
settings.register_profile("dev")
settings.register_profile("ci", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the servers they use, so `make test-fast` can leave them out."""
    for item in items:
        for server in ("postgres", "redis"):
            if {f"{server}_url", f"restartable_{server}"} & set(getattr(item, "fixturenames", ())):
                item.add_marker(server)


def _serve(server: Callable[[], AbstractContextManager[T]]) -> Iterator[T]:
    """A server that cannot start fails the tests that need it, never skips them."""
    try:
        with server() as url:
            yield url
            return
    except servers.ServerUnavailableError as exc:
        failure = str(exc)
    pytest.fail(failure, pytrace=False)  # outside the except: no "during handling" echo


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real Postgres for the whole session, started on first use (see tests/servers.py)."""
    yield from _serve(servers.postgres_server)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis for the whole session, started on first use (see tests/servers.py)."""
    yield from _serve(servers.redis_server)


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """A localstripe (Stripe API look-alike) for the whole session, started on first use."""
    yield from _serve(servers.localstripe_server)


@pytest.fixture(scope="module")
def restartable_postgres() -> Iterator[servers.RestartableServer]:
    """A Postgres of the module's own that its tests may stop and start again (the session's
    shared one is never stopped); tests must leave it running."""
    yield from _serve(servers.restartable_postgres_server)


@pytest.fixture(scope="module")
def restartable_redis() -> Iterator[servers.RestartableServer]:
    """A Redis of the module's own that its tests may stop and start again; tests leave it running."""
    yield from _serve(servers.restartable_redis_server)


@pytest.fixture
def memory_factory() -> EngineFactory:
    return memory_engine


@pytest.fixture
def sqlite_factory() -> EngineFactory:
    return sqlite_engine


@pytest.fixture
def postgres_factory(postgres_url: str) -> EngineFactory:
    return functools.partial(postgres_engine, postgres_url)


@pytest.fixture
def redis_factory(redis_url: str) -> EngineFactory:
    return functools.partial(redis_engine, redis_url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "holdfast.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database of the test's own."""
    database = tmp_path / "holdfast.db"
    shutil.copy(sqlite_template, database)
    return f"sqlite+aiosqlite:///{database}"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, nothing migrated: a SQLite file, or a Postgres database made afresh."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    server: str = request.getfixturevalue("postgres_url")
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio.run inside needs a thread without a loop
        return pool.submit(empty_postgres, server, "holdfast_empty").result()
