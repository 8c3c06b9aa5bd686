"""Revision 0003 on its own: it builds what the tables modules describe, its guards work, and
it goes down and up again cleanly, on SQLite and on Postgres."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

import infrastructure.persistence.outbox_tables  # noqa: F401  (registers the tables)
from infrastructure import migrations
from infrastructure.persistence.ledger_tables import ledger_entries, ledger_transactions
from infrastructure.persistence.metadata import metadata

T = TypeVar("T")
MINE = {"ledger_transactions", "ledger_entries", "outbox", "outbox_sequences"}


def _mine(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is not None and table.name in MINE


def _differences(connection: Connection) -> list[Any]:
    options = {"compare_type": True, "include_object": _mine}
    return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)  # type: ignore[no-any-return]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) & MINE


async def _inspect(url: str, look: Callable[[Connection], T]) -> T:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def _record_then_delete(url: str) -> None:
    """One balanced transaction goes in; deleting it must then be refused."""
    ident, tenant = uuid4(), uuid4()
    header = {"id": ident, "tenant_id": tenant, "kind": "fee_charged", "external_reference": str(ident)}
    common = {"transaction_id": ident, "tenant_id": tenant, "amount": 5, "currency": "EUR"}
    legs = [
        {**common, "position": 1, "account_kind": "stripe_fees", "side": "debit"},
        {**common, "position": 2, "account_kind": "stripe_clearing", "side": "credit"},
    ]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(ledger_transactions.insert().values(**header, created_at=datetime.now(UTC)))
            await connection.execute(ledger_entries.insert(), legs)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM ledger_entries"))
    finally:
        await engine.dispose()


async def test_revision_0003_matches_the_tables_and_goes_down_and_up_cleanly(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "0003")
    assert await _inspect(empty_database_url, _tables) == MINE
    assert await _inspect(empty_database_url, _differences) == []
    with pytest.raises(DBAPIError, match="append-only"):
        await _record_then_delete(empty_database_url)

    migrations.downgrade(empty_database_url, "0002")
    assert await _inspect(empty_database_url, _tables) == set()

    migrations.upgrade(empty_database_url, "0003")  # the downgrade left no trigger or function behind
    assert await _inspect(empty_database_url, _tables) == MINE
