"""The new-quote path: one write, in the cheapest transaction each database offers.

A quote is written alone (it reads nothing in the system of record: its plan comes from the
per-process ``infrastructure.catalogue.price_plans``): on a SQLite file, on the writer thread in one hop, group
committed with whatever else is writing (``Database.in_writer_thread``); on Postgres, as one
autocommit statement without the pool's pre-ping (``SingleStatements``), made idempotent (a
retried insert of the same quote returns its id) as that path requires. Elsewhere (SQLite in
memory) in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.dialects import postgresql

from domain.quotes import Quote
from infrastructure.persistence.database import Database
from infrastructure.persistence.pricing import quote_row
from infrastructure.persistence.pricing_tables import quotes
from infrastructure.persistence.single_statements import SingleStatements


class SqlQuoteWriter:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._statements = None if database.is_sqlite else SingleStatements(database)

    async def add(self, quote: Quote) -> None:
        row = quote_row(quote)
        if self._db.has_writer_thread and not self._db.in_unit_of_work:
            await self._db.in_writer_thread(lambda connection: _insert(connection, row))
        elif self._statements is not None:
            statement = postgresql.insert(quotes).values(**row)
            upsert = statement.on_conflict_do_update(index_elements=["id"], set_={"id": statement.excluded.id})
            await self._statements.one(upsert.returning(quotes.c.id), {})
        else:
            async with self._db.transaction() as session:
                await session.execute(insert(quotes).values(**row))

    async def aclose(self) -> None:
        if self._statements is not None:
            await self._statements.dispose()


def _insert(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(quotes).values(**row))
