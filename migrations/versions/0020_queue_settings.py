"""The virtual waiting room: queue settings on listings, and the SQL adapter's queue tables.

Every existing listing keeps queue mode off (its holds need no pass), with the defaults a PATCH
starts from.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_COLUMNS = (
    ("queue_batch_size", "100"),
    ("queue_period_seconds", "10"),
    ("queue_pass_ttl_seconds", "300"),
    ("queue_holds_per_pass", "1"),
)


def upgrade() -> None:
    op.add_column("listings", sa.Column("queue_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    for name, default in QUEUE_COLUMNS:
        op.add_column("listings", sa.Column(name, sa.Integer(), nullable=False, server_default=default))
    op.create_table(
        "queue_rooms",
        sa.Column("listing_id", sa.Uuid(), primary_key=True),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("queue_rooms.listing_id", ondelete="CASCADE"), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pass_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("holds_used", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_queue_tickets_line", "queue_tickets", ["listing_id", "state", "seq"])
    op.create_index("ix_queue_tickets_subject", "queue_tickets", ["listing_id", "subject"])
    op.create_table(
        "queue_pass_holds",
        sa.Column("hold_id", sa.Uuid(), primary_key=True),
        sa.Column("ticket_id", sa.Uuid(), sa.ForeignKey("queue_tickets.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_queue_pass_holds_ticket_id", "queue_pass_holds", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("queue_pass_holds")
    op.drop_table("queue_tickets")
    op.drop_table("queue_rooms")
    # Not batch mode: SQLite (3.35+) drops a column in place; a batch copy of the table would
    # lose the catalogue-version triggers (migration 0014) that are on it.
    for name, _default in reversed(QUEUE_COLUMNS):
        op.drop_column("listings", name)
    op.drop_column("listings", "queue_enabled")
