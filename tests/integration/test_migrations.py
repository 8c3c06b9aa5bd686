"""The stairway: every migration goes up, down and up again, on SQLite and on Postgres, and
head builds exactly what the table modules describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure import migrations
from infrastructure.persistence.all_tables import metadata


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
