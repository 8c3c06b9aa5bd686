"""Tables of the outbox's fan-out: tenants' webhook endpoints, their deliveries, and notifications.

The relay writes ``webhook_deliveries`` and ``notifications`` in the transaction that marks an
outbox record published; their unique keys, (endpoint, event) and (event, kind), make a second
relay of the same record write nothing. ``lease_token`` and ``locked_until`` are the claim a
sender holds while it sends (see ``application.ports.webhooks.Lease``). A delivery carries its
event's aggregate and sequence, so that one waits while an earlier one of the same endpoint and
aggregate is still pending; a notification likewise carries its event's sequence, and waits
while an earlier one of the same booking is pending.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    text,
)

from infrastructure.persistence.metadata import metadata

_PENDING = text("status = 'pending'")

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_types", JSON, nullable=False),  # a list of CloudEvents types, or ["*"]
    Column("secret", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("disabled_reason", String(500), nullable=True),
    Column("disabled_at", DateTimeUTC, nullable=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    CheckConstraint("status IN ('enabled', 'disabled')", name="status_known"),
    CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
    Index("ix_webhook_endpoints_tenant_page", "tenant_id", "created_at", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("endpoint_id", Uuid, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", Uuid, ForeignKey("outbox.id"), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTimeUTC, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("lease_token", String(64), nullable=True),
    Column("locked_until", DateTimeUTC, nullable=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Column("delivered_at", DateTimeUTC, nullable=True),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=_PENDING, sqlite_where=_PENDING),
    Index("ix_webhook_deliveries_chain", "endpoint_id", "aggregate_id", "sequence"),
    Index("ix_webhook_deliveries_page", "endpoint_id", "created_at", "id"),
)

webhook_delivery_attempts = Table(
    "webhook_delivery_attempts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("delivery_id", Uuid, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", DateTimeUTC, nullable=False),
    Column("status_code", Integer, nullable=True),  # none: no HTTP answer (see error)
    Column("error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_delivery_attempts_delivery", "delivery_id", "attempted_at"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, ForeignKey("outbox.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("booking_id", Uuid, nullable=False),
    Column("recipient", String(254), nullable=False),  # personal data: never logged unmasked
    Column("data", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTimeUTC, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("lease_token", String(64), nullable=True),
    Column("locked_until", DateTimeUTC, nullable=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Column("sent_at", DateTimeUTC, nullable=True),
    Column("sequence", BigInteger, nullable=False),  # its event's, within the booking's events
    UniqueConstraint("event_id", "kind", name="uq_notifications_event_kind"),
    CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index("ix_notifications_due", "next_attempt_at", postgresql_where=_PENDING, sqlite_where=_PENDING),
    Index("ix_notifications_chain", "booking_id", "sequence"),
)
