"""Tables of the ledger: transactions and their entries, append-only.

The database itself keeps them append-only (migration 0003 installs triggers that refuse UPDATE
and DELETE on both, on Postgres and on SQLite) and, on Postgres, refuses to commit a transaction
whose debits and credits differ in any currency.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, SmallInteger, String, Table, Uuid

from infrastructure.persistence.metadata import metadata

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("booking_id", Uuid, nullable=True),
    Column("kind", String(32), nullable=False),
    # Unique: a fact posted twice (a redelivered webhook) is recorded once.
    Column("external_reference", String(255), nullable=False, unique=True),
    Column("reverses", Uuid, ForeignKey("ledger_transactions.id"), nullable=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_ledger_transactions_booking", "tenant_id", "booking_id", "created_at"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("transaction_id", Uuid, ForeignKey("ledger_transactions.id"), primary_key=True),
    Column("position", SmallInteger, primary_key=True),
    # The account is (tenant_id, account_kind); the tenant is the transaction's, kept here so
    # balances are summed from this table alone.
    Column("tenant_id", Uuid, nullable=False),
    Column("account_kind", String(32), nullable=False),
    Column("side", String(6), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("side IN ('debit', 'credit')", name="side_known"),
    Index("ix_ledger_entries_account", "tenant_id", "account_kind", "currency"),
)
