"""Stays: room types, their rules and owner blocks; each night pool names its room type.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_types",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("base_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.UniqueConstraint("listing_id", "code", name=op.f("uq_room_types_listing_code")),
        sa.CheckConstraint("units >= 1", name=op.f("ck_room_types_room_units_positive")),
        sa.CheckConstraint("base_price >= 0", name=op.f("ck_room_types_room_price_not_negative")),
    )
    op.create_table(
        "stay_rules",
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("listings.id"), primary_key=True),
        sa.Column("scope", sa.Uuid(), primary_key=True),
        sa.Column("room_type_id", sa.Uuid(), sa.ForeignKey("room_types.id"), nullable=True),
        sa.Column("min_nights", sa.Integer(), nullable=False),
        sa.Column("max_nights", sa.Integer(), nullable=False),
        sa.Column("buffer_days", sa.Integer(), nullable=False),
        sa.Column("check_in_days", sa.Integer(), nullable=False),
        sa.Column("check_out_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", DateTimeUTC(), nullable=False),
    )
    op.create_table(
        "stay_blocks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("room_type_id", sa.Uuid(), sa.ForeignKey("room_types.id"), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.CheckConstraint('"end" > start', name=op.f("ck_stay_blocks_block_ends_after_start")),
        sa.CheckConstraint("units >= 1", name=op.f("ck_stay_blocks_block_units_positive")),
    )
    op.create_index("ix_stay_blocks_room_start", "stay_blocks", ["room_type_id", "start"])
    # No foreign key and not batch mode: SQLite adds the column in place, keeping the pools
    # table's catalogue-version triggers (migration 0014).
    op.add_column("pools", sa.Column("room_type_id", sa.Uuid(), nullable=True))
    op.create_index("ix_pools_room_type_night", "pools", ["room_type_id", "night"])


def downgrade() -> None:
    op.drop_index("ix_pools_room_type_night", table_name="pools")
    op.drop_column("pools", "room_type_id")
    op.drop_index("ix_stay_blocks_room_start", table_name="stay_blocks")
    op.drop_table("stay_blocks")
    op.drop_table("stay_rules")
    op.drop_table("room_types")
