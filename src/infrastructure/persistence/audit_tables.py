"""The audit log's table: one row per recorded write (see ``application.ports.audit``).

On Postgres it is partitioned by month on ``occurred_at`` (declarative range partitions):
retention drops a whole month at once, never deleting rows one by one. The partitions live in
the schema ``audit_partitions`` (the parent stays in the default schema): they are the
maintenance job's to create and drop, not tables the code names. A ``DEFAULT`` partition takes
rows no month partition covers yet, so a write is never refused for want of a partition. On
SQLite it is one plain table.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Column, Index, String, Table, Uuid

from infrastructure.persistence.metadata import metadata

PARTITION_SCHEMA = "audit_partitions"
DEFAULT_PARTITION = "audit_logs_default"

audit_logs = Table(
    "audit_logs",
    metadata,
    Column("id", Uuid, primary_key=True),
    # Part of the key: a partitioned table's unique keys must hold the partition column.
    Column("occurred_at", DateTimeUTC, primary_key=True),
    Column("tenant_id", Uuid, nullable=True),  # None: a write for no tenant (none so far)
    Column("actor", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(40), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(400), nullable=True),
    Column("correlation_id", String(200), nullable=True),
    Index("ix_audit_logs_tenant_time", "tenant_id", "occurred_at", "id"),
    Index("ix_audit_logs_tenant_entity", "tenant_id", "entity_type", "entity_id"),
    postgresql_partition_by="RANGE (occurred_at)",
)
