"""HTTP bodies of the ledger routes (read-only: the ledger is written by money movements)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.ledger import Entry, LedgerTransaction
from domain.ledger_views import AccountBalance, BookingLedger, BookingTotals


class AccountBalanceOut(msgspec.Struct):
    """``balance`` is on the account's ``normal_side``: debits minus credits for a debit
    account, credits minus debits for a credit one, in minor units."""

    account: str
    normal_side: str
    currency: str
    debits: int
    credits: int
    balance: int

    @classmethod
    def of(cls, found: AccountBalance) -> AccountBalanceOut:
        kind = found.account.kind
        return cls(kind.value, kind.normal_side.value, found.currency, found.debits, found.credits, found.balance)


class LedgerAccountsOut(msgspec.Struct):
    accounts: list[AccountBalanceOut]


class EntryOut(msgspec.Struct):
    account: str
    side: str
    amount: int
    currency: str

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(entry.account.kind.value, entry.side.value, entry.amount.amount, entry.amount.currency)


class LedgerTransactionOut(msgspec.Struct):
    id: UUID
    kind: str
    external_reference: str
    reverses: UUID | None
    created_at: datetime
    entries: list[EntryOut]

    @classmethod
    def of(cls, tx: LedgerTransaction) -> LedgerTransactionOut:
        entries = [EntryOut.of(entry) for entry in tx.entries]
        return cls(tx.id, tx.kind.value, tx.external_reference, tx.reverses, tx.created_at, entries)


class BookingTotalsOut(msgspec.Struct):
    """``net`` is captured minus refunded; Stripe's ``fees`` are the tenant's cost, not the customer's."""

    currency: str
    captured: int
    refunded: int
    fees: int
    net: int

    @classmethod
    def of(cls, totals: BookingTotals) -> BookingTotalsOut:
        return cls(
            totals.currency, totals.captured.amount, totals.refunded.amount, totals.fees.amount, totals.net.amount
        )


class BookingLedgerOut(msgspec.Struct):
    """Totals per currency posted for the booking (none yet: an empty list) and its transactions."""

    booking_id: UUID
    totals: list[BookingTotalsOut]
    transactions: list[LedgerTransactionOut]

    @classmethod
    def of(cls, view: BookingLedger) -> BookingLedgerOut:
        totals = [BookingTotalsOut.of(found) for found in view.totals().values()]
        return cls(view.booking_id, totals, [LedgerTransactionOut.of(tx) for tx in view.transactions])
