"""Tables of the hold journal (the Redis engine's holds, copied into Postgres) and of reconciliations.

``hold_journal`` keeps one row per hold in its latest journaled state; ``hold_journal_cursors``
keeps, per listing, the id of the last stream entry applied. Both change in one transaction, so
a crash between batches re-reads entries but never applies one twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, CheckConstraint, Column, Index, Integer, String, Table, Text, Uuid, text

from domain.inventory import HoldStatus
from domain.reconciliation import ReconciliationKind, ReconciliationStatus
from infrastructure.persistence.metadata import metadata


def _one_of(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


_ACTIVE = text("status = 'active'")

hold_journal = Table(
    "hold_journal",
    metadata,
    Column("hold_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("listing_id", Uuid, nullable=False),
    Column("customer_ref", String(200), nullable=False),
    Column("lines", JSON, nullable=False),  # [{"pool_id", "quantity", "unit_price"}, ...]
    Column("units", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    CheckConstraint(f"status IN ({_one_of(HoldStatus)})", name="status_known"),
    Index("ix_hold_journal_listing_active", "listing_id", "expires_at", postgresql_where=_ACTIVE, sqlite_where=_ACTIVE),
    Index("ix_hold_journal_tenant", "tenant_id"),
)

hold_journal_cursors = Table(
    "hold_journal_cursors",
    metadata,
    Column("listing_id", Uuid, primary_key=True),
    Column("last_entry_id", String(64), nullable=False),  # a Redis stream id, "<ms>-<seq>"
    Column("updated_at", DateTimeUTC, nullable=False),
)

reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("tenant_id", Uuid, nullable=True),
    Column("listing_id", Uuid, nullable=True),
    Column("repair", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("started_at", DateTimeUTC, nullable=True),
    Column("finished_at", DateTimeUTC, nullable=True),
    Column("checked", Integer, nullable=False),
    Column("total", Integer, nullable=True),
    Column("findings", JSON, nullable=False),
    Column("error", Text, nullable=True),
    CheckConstraint(f"kind IN ({_one_of(ReconciliationKind)})", name="kind_known"),
    CheckConstraint(f"status IN ({_one_of(ReconciliationStatus)})", name="status_known"),
    Index("ix_reconciliations_recent", "created_at", "id"),
)
