"""hold journal and reconciliations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "hold_journal",
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'confirmed', 'released', 'expired', 'cancelled')",
            name=op.f("ck_hold_journal_status_known"),
        ),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_hold_journal")),
    )
    op.create_index(
        "ix_hold_journal_listing_active",
        "hold_journal",
        ["listing_id", "expires_at"],
        postgresql_where=_ACTIVE,
        sqlite_where=_ACTIVE,
    )
    op.create_index("ix_hold_journal_tenant", "hold_journal", ["tenant_id"])
    op.create_table(
        "hold_journal_cursors",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("last_entry_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_hold_journal_cursors")),
    )
    op.create_table(
        "reconciliations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("listing_id", sa.Uuid(), nullable=True),
        sa.Column("repair", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('inventory', 'payments')", name=op.f("ck_reconciliations_kind_known")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_reconciliations_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliations")),
    )
    op.create_index("ix_reconciliations_recent", "reconciliations", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_reconciliations_recent", table_name="reconciliations")
    op.drop_table("reconciliations")
    op.drop_table("hold_journal_cursors")
    op.drop_index("ix_hold_journal_tenant", table_name="hold_journal")
    op.drop_index(
        "ix_hold_journal_listing_active", table_name="hold_journal", postgresql_where=_ACTIVE, sqlite_where=_ACTIVE
    )
    op.drop_table("hold_journal")
