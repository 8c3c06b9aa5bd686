"""The SQL ledger on real databases: idempotent appends, also racing, and a database that
refuses to edit, delete or unbalance the books."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Uuid, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError

from domain.ledger import LedgerTransaction, booking_confirmed, fee_charged, payment_captured, reversal_of
from domain.ledger_views import balances_of
from domain.money import Money
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.ledger_tables import ledger_entries, ledger_transactions
from infrastructure.persistence.unit_of_work import SqlUnitOfWork

AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


def _capture(tenant: UUID | None = None, booking: UUID | None = None, amount: int = 2500) -> LedgerTransaction:
    """A capture of a PaymentIntent no other test uses."""
    return payment_captured(tenant or uuid4(), booking or uuid4(), f"pi_{uuid4().hex}", Money(amount, "EUR"), at=AT)


async def _append(database: Database, tx: LedgerTransaction, *, pause: float = 0.0) -> bool:
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        appended = await uow.ledger.append(tx)
        await asyncio.sleep(pause)  # keeps the transaction open while the others race it
        await uow.commit()
    return appended


async def _rows(database: Database, tx: LedgerTransaction) -> tuple[int, int]:
    async with database.reading() as session:
        txs = select(func.count()).where(ledger_transactions.c.external_reference == tx.external_reference)
        entries = select(func.count()).where(ledger_entries.c.transaction_id == tx.id)
        return (await session.execute(txs)).scalar_one(), (await session.execute(entries)).scalar_one()


async def test_appending_the_same_fact_twice_records_it_once(database: Database) -> None:
    tx = _capture()

    assert await _append(database, tx) is True
    assert await _append(database, tx) is False
    assert await _append(database, payment_captured(tx.tenant_id, uuid4(), "x", Money(1, "EUR"), at=AT)) is True

    assert await _rows(database, tx) == (1, 2)


async def test_what_is_appended_reads_back_the_same(database: Database) -> None:
    tenant, booking = uuid4(), uuid4()
    captured = _capture(tenant, booking, 10_000)
    intent = captured.external_reference.removesuffix(":captured")
    posted = [
        captured,
        booking_confirmed(tenant, booking, intent, Money(10_000, "EUR"), at=AT),
        fee_charged(tenant, booking, intent, Money(320, "EUR"), at=AT.replace(hour=13)),
        reversal_of(captured, at=AT.replace(hour=14)),
        _capture(tenant, uuid4(), 99),  # another booking of the same tenant
    ]
    for tx in posted:
        assert await _append(database, tx)

    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        view = await uow.ledger.booking_view(tenant, booking)
        balances = await uow.ledger.balances(tenant)
        foreign = await uow.ledger.booking_view(uuid4(), booking)

    assert list(view.transactions) == posted[:4]  # oldest first
    assert balances == balances_of(posted)
    assert foreign.transactions == ()


async def test_a_rolled_back_unit_of_work_leaves_no_posting(database: Database) -> None:
    tx = _capture()
    async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
        assert await uow.ledger.append(tx)
    assert await _rows(database, tx) == (0, 0)
    assert await _append(database, tx) is True


async def test_twenty_racing_appends_of_one_reference_make_one_row(postgres_db: Database) -> None:
    tx = _capture()

    results = await asyncio.gather(*(_append(postgres_db, tx, pause=0.05) for _ in range(20)))

    assert sorted(results) == [False] * 19 + [True]
    assert await _rows(postgres_db, tx) == (1, 2)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount = amount + 1 WHERE transaction_id = :id",
        "DELETE FROM ledger_entries WHERE transaction_id = :id",
        "UPDATE ledger_transactions SET external_reference = 'forged' WHERE id = :id",
        "DELETE FROM ledger_transactions WHERE id = :id",
    ],
)
async def test_the_database_refuses_to_edit_or_delete_the_ledger(database: Database, statement: str) -> None:
    tx = _capture()
    await _append(database, tx)
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.transaction() as session:
            await session.execute(text(statement).bindparams(bindparam("id", type_=Uuid)), {"id": tx.id})

    assert await _rows(database, tx) == (1, 2)


async def test_postgres_refuses_to_commit_unbalanced_entries(postgres_db: Database) -> None:
    """Below the domain's own check: even raw SQL cannot leave the books unbalanced."""
    tx = _capture()

    with pytest.raises(DBAPIError, match="unbalanced"):
        await _insert_raw(postgres_db, tx, debit=100, credit=99)

    assert await _rows(postgres_db, tx) == (0, 0)


async def _insert_raw(database: Database, tx: LedgerTransaction, *, debit: int, credit: int) -> None:
    header = {"id": tx.id, "tenant_id": tx.tenant_id, "kind": tx.kind.value, "external_reference": "raw"}
    legs = [{"position": 1, "side": "debit", "amount": debit}, {"position": 2, "side": "credit", "amount": credit}]
    common = {"transaction_id": tx.id, "tenant_id": tx.tenant_id, "account_kind": "revenue", "currency": "EUR"}
    async with database.transaction() as session:
        await session.execute(ledger_transactions.insert().values(**header, created_at=AT))
        await session.execute(ledger_entries.insert(), [{**common, **leg} for leg in legs])
