"""Writing a batch with one row the database refuses: the others are written, the refused one
is named, on SQLite and on Postgres alike; a database that is gone is not a row's fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select, text

from application.ports.journal import JournaledHold
from domain.inventory import Hold, HoldLine
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.isolation import refused_for_content, write_isolating
from infrastructure.persistence.journal_tables import hold_journal
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.databases import migrated_postgres

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
    else:
        url = migrated_postgres(request.getfixturevalue("postgres_url"), "holdfast_isolating")
    db = Database(url, pool_size=5)
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM hold_journal"))
    try:
        yield db
    finally:
        await db.dispose()


def _journaled(customer: str) -> JournaledHold:
    hold = Hold(uuid4(), uuid4(), uuid4(), customer, (HoldLine(uuid4(), 1),), "EUR", NOW, NOW + timedelta(hours=1))
    return JournaledHold(hold, NOW)


def _row(customer: str | None) -> dict[str, Any]:
    return {
        "hold_id": uuid4(),
        "tenant_id": uuid4(),
        "listing_id": uuid4(),
        "customer_ref": customer,
        "lines": [],
        "units": 1,
        "currency": "EUR",
        "status": "active",
        "created_at": NOW,
        "expires_at": NOW,
        "updated_at": NOW,
    }


async def test_a_refused_row_is_left_out_and_named_and_the_rest_written(database: Database) -> None:
    good, refused, other = _row("ann"), _row(None), _row("bob")  # NOT NULL: refused on both

    async with database.transaction() as session:

        async def write(rows: list[dict[str, Any]]) -> None:
            await session.execute(hold_journal.insert().values(rows))

        left_out = await write_isolating(session, [good, refused, other], write, lambda row: str(row["hold_id"]))

    assert [item.ident for item in left_out] == [str(refused["hold_id"])]
    assert "null" in left_out[0].reason.lower()
    async with database.reading() as session:
        written = set((await session.scalars(select(hold_journal.c.hold_id))).all())
    assert written == {good["hold_id"], other["hold_id"]}


async def test_a_batch_without_a_bad_row_is_written_whole(database: Database) -> None:
    batch = [_journaled(f"c{n}") for n in range(3)]
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        assert await uow.hold_journal.save(batch) == []
        await uow.commit()
    async with database.reading() as session:
        assert len((await session.scalars(select(hold_journal.c.hold_id))).all()) == 3


def test_a_lost_connection_is_not_the_rows_fault() -> None:
    assert not refused_for_content(ConnectionResetError("reset by peer"))
    assert not refused_for_content(TimeoutError())
    assert refused_for_content(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"))
