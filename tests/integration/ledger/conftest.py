"""The ledger and outbox suites run on a migrated database of their own: SQLite and Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from infrastructure.persistence.database import Database
from tests.databases import migrated_postgres

LEDGER_DATABASE = "holdfast_ledger"


@pytest.fixture
def ledger_postgres_url(postgres_url: str) -> str:
    """A database of its own, migrated to head once per run; tests isolate by fresh ids."""
    return migrated_postgres(postgres_url, LEDGER_DATABASE)


@pytest.fixture
async def postgres_db(ledger_postgres_url: str) -> AsyncIterator[Database]:
    database = Database(ledger_postgres_url, pool_size=25)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture(params=["sqlite_db", "postgres_db"])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
