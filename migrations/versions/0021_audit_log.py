"""The audit log: one row per write. On Postgres a table partitioned by month on occurred_at,
with a DEFAULT partition and the partitions of this month and the next made here (the
``maintain_audit_log`` job makes the later ones and drops those past retention); the
partitions live in the schema ``audit_partitions``. On SQLite one plain table.

The partition DDL is written out here rather than imported from the application: a migration
must keep building what it built when the code around it changes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit_partitions"


def _month(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("occurred_at", DateTimeUTC, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(400), nullable=True),
        sa.Column("correlation_id", sa.String(200), nullable=True),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index("ix_audit_logs_tenant_time", "audit_logs", ["tenant_id", "occurred_at", "id"])
    op.create_index("ix_audit_logs_tenant_entity", "audit_logs", ["tenant_id", "entity_type", "entity_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(f"CREATE TABLE {SCHEMA}.audit_logs_default PARTITION OF audit_logs DEFAULT")
    today = datetime.now(UTC)
    for ahead in (0, 1):
        index = today.month - 1 + ahead
        start, end = _month(today.year + index // 12, index % 12 + 1)
        op.execute(
            f"CREATE TABLE {SCHEMA}.audit_logs_p{start:%Y%m} PARTITION OF audit_logs "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )


def downgrade() -> None:
    op.drop_index("ix_audit_logs_tenant_entity", "audit_logs")
    op.drop_index("ix_audit_logs_tenant_time", "audit_logs")
    op.drop_table("audit_logs")  # on Postgres its partitions go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
