"""the fake gateway's account in the record, and notifications in their events' order

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

The fake payment gateway kept its intents in one process's memory, so with several processes a
checkout made on one API was unknown to the others. Notifications carry their event's sequence
so that one waits while an earlier one of the same booking is unsent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_fake_gateway_tables()
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("sequence", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE notifications SET sequence = "
        "(SELECT outbox.sequence FROM outbox WHERE outbox.id = notifications.event_id)"
    )
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("sequence", existing_type=sa.BigInteger(), nullable=False)
        batch.create_index("ix_notifications_chain", ["booking_id", "sequence"])


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_chain")
        batch.drop_column("sequence")
    op.drop_table("fake_payment_webhooks")
    op.drop_table("fake_payment_replies")
    op.drop_table("fake_payment_refunds")
    op.drop_index("ix_fake_payment_charges_intent_id", table_name="fake_payment_charges")
    op.drop_table("fake_payment_charges")
    op.drop_table("fake_payment_intents")


def _create_fake_gateway_tables() -> None:
    op.create_table(
        "fake_payment_intents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("client_secret", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("latest_charge", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.JSON(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_payment_intents")),
    )
    op.create_table(
        "fake_payment_charges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("intent_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["fake_payment_intents.id"],
            name=op.f("fk_fake_payment_charges_intent_id_fake_payment_intents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_payment_charges")),
    )
    op.create_index("ix_fake_payment_charges_intent_id", "fake_payment_charges", ["intent_id"])
    op.create_table(
        "fake_payment_refunds",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("intent_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["fake_payment_intents.id"],
            name=op.f("fk_fake_payment_refunds_intent_id_fake_payment_intents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_payment_refunds")),
        sa.UniqueConstraint("intent_id", "number", name="uq_fake_payment_refunds_intent_number"),
    )
    op.create_table(
        "fake_payment_replies",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_fake_payment_replies")),
    )
    op.create_table(
        "fake_payment_webhooks",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_fake_payment_webhooks")),
    )
