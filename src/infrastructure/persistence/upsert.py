"""INSERT ... ON CONFLICT for the session's dialect: Postgres and SQLite spell it alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Table) -> Any:
    """An insert that knows ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# Rows per multi-row statement: well under SQLite's 32,766 bound parameters at 20 columns a row.
ROWS_PER_STATEMENT = 500


def chunks(rows: list[dict[str, Any]], size: int = ROWS_PER_STATEMENT) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in slices for multi-row inserts; nothing at all for no rows."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
