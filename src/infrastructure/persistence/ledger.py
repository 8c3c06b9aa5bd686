"""The ledger in SQL: transactions and entries, appended once per external reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import Account, AccountKind, Entry, LedgerTransaction, Side, TransactionKind
from domain.ledger_views import AccountBalance, BookingLedger
from domain.money import Money
from infrastructure.persistence.ledger_tables import ledger_entries, ledger_transactions
from infrastructure.persistence.upsert import insert_for


class SqlLedgerRepository:
    """Appends inside the unit of work's transaction; the database refuses edits and deletes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, transaction: LedgerTransaction) -> bool:
        # ON CONFLICT DO NOTHING rather than catching the unique violation: a concurrent
        # appender of the same reference waits for the first to commit and then inserts nothing,
        # and the caller's transaction stays usable either way. No conflict target: a
        # transaction's id derives from its reference, so racers collide on the primary key as
        # well, and Postgres may report that one first (a named target would let it through).
        statement = (
            insert_for(self._session, ledger_transactions)
            .values(**_transaction_row(transaction))
            .on_conflict_do_nothing()
            .returning(ledger_transactions.c.id)
        )
        if (await self._session.execute(statement)).first() is None:
            return False
        await self._session.execute(insert(ledger_entries), _entry_rows(transaction))
        return True

    async def balances(self, tenant_id: UUID) -> list[AccountBalance]:
        e = ledger_entries.c
        statement = (
            select(e.account_kind, e.currency, e.side, func.sum(e.amount).label("total"))
            .where(e.tenant_id == tenant_id)
            .group_by(e.account_kind, e.currency, e.side)
        )
        sums: dict[tuple[AccountKind, str], dict[str, int]] = {}
        for row in (await self._session.execute(statement)).all():
            # int(): Postgres sums bigints as numeric, which the driver hands back as Decimal.
            sums.setdefault((AccountKind(row.account_kind), row.currency), {})[row.side] = int(row.total)
        return [
            AccountBalance(Account(kind, tenant_id), currency, found.get("debit", 0), found.get("credit", 0))
            for (kind, currency), found in sorted(sums.items())
        ]

    async def booking_view(self, tenant_id: UUID, booking_id: UUID) -> BookingLedger:
        t = ledger_transactions.c
        statement = (
            select(ledger_transactions)
            .where(t.tenant_id == tenant_id, t.booking_id == booking_id)
            .order_by(t.created_at, t.external_reference)
        )
        rows = (await self._session.execute(statement)).all()
        entries = await self._entries([row.id for row in rows])
        return BookingLedger(booking_id, tuple(_transaction_from(row, entries[row.id]) for row in rows))

    async def _entries(self, transaction_ids: list[UUID]) -> dict[UUID, list[Entry]]:
        found: dict[UUID, list[Entry]] = {ident: [] for ident in transaction_ids}
        if not transaction_ids:
            return found
        e = ledger_entries.c
        statement = (
            select(ledger_entries).where(e.transaction_id.in_(transaction_ids)).order_by(e.transaction_id, e.position)
        )
        for row in (await self._session.execute(statement)).all():
            account = Account(AccountKind(row.account_kind), row.tenant_id)
            found[row.transaction_id].append(Entry(account, Side(row.side), Money(row.amount, row.currency)))
        return found


def _transaction_row(transaction: LedgerTransaction) -> dict[str, Any]:
    return {
        "id": transaction.id,
        "tenant_id": transaction.tenant_id,
        "booking_id": transaction.booking_id,
        "kind": transaction.kind.value,
        "external_reference": transaction.external_reference,
        "reverses": transaction.reverses,
        "created_at": transaction.created_at,
    }


def _entry_rows(transaction: LedgerTransaction) -> list[dict[str, Any]]:
    return [
        {
            "transaction_id": transaction.id,
            "position": position,
            "tenant_id": entry.account.tenant_id,
            "account_kind": entry.account.kind.value,
            "side": entry.side.value,
            "amount": entry.amount.amount,
            "currency": entry.amount.currency,
        }
        for position, entry in enumerate(transaction.entries, start=1)
    ]


def _transaction_from(row: Any, entries: Sequence[Entry]) -> LedgerTransaction:
    return LedgerTransaction(
        id=row.id,
        tenant_id=row.tenant_id,
        booking_id=row.booking_id,
        kind=TransactionKind(row.kind),
        external_reference=row.external_reference,
        created_at=row.created_at,
        entries=tuple(entries),
        reverses=row.reverses,
    )
