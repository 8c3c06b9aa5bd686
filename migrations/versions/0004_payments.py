"""payments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.add_column(sa.Column("full_refund_hours", sa.Integer(), nullable=False, server_default="48"))
        batch.add_column(sa.Column("late_refund_percent", sa.Integer(), nullable=False, server_default="50"))
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("payment_intent_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("client_secret", sa.String(255), nullable=True))
        batch.add_column(sa.Column("payment_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("amount_captured", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("amount_refunded", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("payment_error", sa.String(500), nullable=True))
        batch.create_unique_constraint("uq_bookings_payment_intent_id", ["payment_intent_id"])
        batch.create_check_constraint(
            "ck_bookings_refunds_within_capture", "amount_refunded >= 0 AND amount_refunded <= amount_captured"
        )
    op.create_index("ix_bookings_payment_due", "bookings", ["status", "payment_due_at"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("gateway_refund_id", sa.String(255), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount_positive"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_refunds_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name="fk_refunds_booking_id_bookings"),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
        sa.UniqueConstraint("gateway_refund_id", name="uq_refunds_gateway_refund_id"),
    )
    op.create_index("ix_refunds_booking_id", "refunds", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_refunds_booking_id", table_name="refunds")
    op.drop_table("refunds")
    op.drop_index("ix_bookings_payment_due", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint("ck_bookings_refunds_within_capture", type_="check")
        batch.drop_constraint("uq_bookings_payment_intent_id", type_="unique")
        for column in (
            "payment_error",
            "amount_refunded",
            "amount_captured",
            "payment_due_at",
            "client_secret",
            "payment_intent_id",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("listings") as batch:
        batch.drop_column("late_refund_percent")
        batch.drop_column("full_refund_hours")
