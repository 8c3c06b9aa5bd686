"""Booking changes (issue 12): one row a change of a confirmed booking, with its state
(held, awaiting_payment, swapped, failed), so that a change interrupted between its steps is
finished or undone from what is stored.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("old_hold_id", sa.Uuid(), nullable=False),
        sa.Column("old_listing_id", sa.Uuid(), nullable=False),
        sa.Column("old_lines", sa.JSON(), nullable=False),
        sa.Column("old_total", sa.BigInteger(), nullable=False),
        sa.Column("new_hold_id", sa.Uuid(), nullable=False),
        sa.Column("new_listing_id", sa.Uuid(), nullable=False),
        sa.Column("new_lines", sa.JSON(), nullable=False),
        sa.Column("new_total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("intent_id", sa.String(length=255), nullable=True),
        sa.Column("client_secret", sa.String(length=255), nullable=True),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", DateTimeUTC, nullable=False),
        sa.Column("updated_at", DateTimeUTC, nullable=False),
        sa.Column("due_at", DateTimeUTC, nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_booking_changes_booking_id_bookings")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_booking_changes_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_changes")),
        sa.UniqueConstraint("intent_id", name=op.f("uq_booking_changes_intent_id")),
        sa.UniqueConstraint("new_hold_id", name=op.f("uq_booking_changes_new_hold_id")),
    )
    op.create_index("ix_booking_changes_booking", "booking_changes", ["booking_id", "created_at"])
    op.create_index("ix_booking_changes_state_updated", "booking_changes", ["state", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_booking_changes_state_updated", table_name="booking_changes")
    op.drop_index("ix_booking_changes_booking", table_name="booking_changes")
    op.drop_table("booking_changes")
