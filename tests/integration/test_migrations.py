"""The stairway: every migration goes up, down and up again, on SQLite and on Postgres, and
head builds exactly what the table modules describe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure import migrations
from infrastructure.inventory.sql_functions import FUNCTIONS
from infrastructure.persistence.all_tables import metadata
from tests.databases import empty_postgres


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, metadata)  # type: ignore[no-any-return]


async def _drift(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


def test_every_revision_goes_up_down_and_up_again(empty_database_url: str) -> None:
    revisions = _revisions()
    assert revisions[0] == "0001"
    previous = "base"
    for revision in revisions:
        migrations.upgrade(empty_database_url, revision)
        migrations.downgrade(empty_database_url, previous)
        migrations.upgrade(empty_database_url, revision)
        previous = revision


async def test_head_builds_what_the_tables_describe(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    assert await _drift(empty_database_url) == []


async def _function(url: str, name: str, replace_with: str | None = None) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            if replace_with is not None:
                await connection.execute(text(replace_with))
            found = await connection.scalar(text(f"SELECT pg_get_functiondef('{name}'::regproc)"))
            return str(found)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_head_creates_the_functions_the_engine_calls(postgres_url: str) -> None:
    """The migrations' frozen copies and the engine's live texts define the same functions."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio.run inside needs a thread without a loop
        url = pool.submit(empty_postgres, postgres_url, "holdfast_function").result()
    migrations.upgrade(url)
    for name, live in FUNCTIONS.items():
        migrated = await _function(url, name)
        assert migrated == await _function(url, name, replace_with=live), name
