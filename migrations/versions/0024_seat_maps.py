"""Seat maps of flights: ``seat_cabins`` (a cabin's rows, letters, price and its count pool)
and ``seats`` (one capacity-1 pool per seat, with its cabin, row, letter and features).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_cabins",
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("letters", sa.String(32), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("pool_id", sa.Uuid(), sa.ForeignKey("pools.id"), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", "code", name="pk_seat_cabins"),
    )
    op.create_table(
        "seats",
        sa.Column("pool_id", sa.Uuid(), sa.ForeignKey("pools.id"), nullable=False),
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("cabin", sa.String(32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("letter", sa.String(1), nullable=False),
        sa.Column("features", sa.String(64), nullable=False),
        sa.Column("surcharge", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", name="pk_seats"),
        sa.UniqueConstraint("listing_id", "row", "letter", name="uq_seats_listing_seat"),
    )


def downgrade() -> None:
    op.drop_table("seats")
    op.drop_table("seat_cabins")
