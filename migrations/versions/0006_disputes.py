"""disputes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("gateway_dispute_id", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_disputes_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name="fk_disputes_booking_id_bookings"),
        sa.PrimaryKeyConstraint("gateway_dispute_id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_booking_id", "disputes", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_disputes_booking_id", table_name="disputes")
    op.drop_table("disputes")
