"""The webhook inbox table: every verified provider event, stored once by its event id.

A table of its own module, beside ``tables.py``, because it belongs to the webhook adapter
rather than to the booking record. ``lease_token`` and ``locked_until`` form the claim a worker
holds while it handles the event (see ``application.ports.webhooks``).
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, String, Table, text

from infrastructure.persistence.metadata import metadata

STATUSES = ("received", "processed", "ignored", "failed", "dead")
_CLAIMABLE = text("status IN ('received', 'failed')")

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("event_id", String(255), primary_key=True),
    Column("event_type", String(255), nullable=False),
    Column("event_created", DateTimeUTC, nullable=False),
    Column("payload", JSON, nullable=False),  # the event's data.object, as the provider sent it
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(500), nullable=True),
    Column("received_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Column("next_attempt_at", DateTimeUTC, nullable=True),
    Column("lease_token", String(64), nullable=True),
    Column("locked_until", DateTimeUTC, nullable=True),
    CheckConstraint("status IN ('received', 'processed', 'ignored', 'failed', 'dead')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index("ix_webhook_events_due", "next_attempt_at", postgresql_where=_CLAIMABLE, sqlite_where=_CLAIMABLE),
    Index("ix_webhook_events_page", "received_at", "event_id"),
    Index("ix_webhook_events_status_page", "status", "received_at", "event_id"),
)
