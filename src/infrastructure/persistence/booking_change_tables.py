"""The changes of bookings (``domain.booking_changes``): one row a change, with its state."""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, Table, Uuid

from infrastructure.persistence.metadata import metadata

booking_changes = Table(
    "booking_changes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("booking_id", Uuid, ForeignKey("bookings.id"), nullable=False),
    Column("state", String(32), nullable=False),
    Column("old_hold_id", Uuid, nullable=False),
    Column("old_listing_id", Uuid, nullable=False),
    Column("old_lines", JSON, nullable=False),
    Column("old_total", BigInteger, nullable=False),
    Column("new_hold_id", Uuid, nullable=False, unique=True),
    Column("new_listing_id", Uuid, nullable=False),
    Column("new_lines", JSON, nullable=False),
    Column("new_total", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("intent_id", String(255), nullable=True, unique=True),
    Column("client_secret", String(255), nullable=True),
    Column("refund_id", Uuid, nullable=True),
    Column("reason", String(500), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Column("due_at", DateTimeUTC, nullable=False),
    Index("ix_booking_changes_booking", "booking_id", "created_at"),
    Index("ix_booking_changes_state_updated", "state", "updated_at"),
)
