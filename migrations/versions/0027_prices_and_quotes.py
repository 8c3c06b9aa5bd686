"""Price plans and quotes: ``listing_prices`` (a listing's rules as JSON, and their version)
and ``quotes`` (an itemised price kept until it expires, and the one hold that locks it).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_prices",
        sa.Column("listing_id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", DateTimeUTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name="fk_listing_prices_listing_id_listings", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("listing_id", name="pk_listing_prices"),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("listing_id", sa.Uuid, nullable=False),
        sa.Column("customer_ref", sa.String(200), nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("breakdown", sa.JSON, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("pricing_version", sa.Integer, nullable=False),
        sa.Column("created_at", DateTimeUTC, nullable=False),
        sa.Column("expires_at", DateTimeUTC, nullable=False),
        sa.Column("hold_id", sa.Uuid, nullable=True),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name="fk_quotes_listing_id_listings", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quotes"),
        sa.UniqueConstraint("hold_id", name="uq_quotes_hold_id"),
    )
    op.create_index("ix_quotes_listing_id", "quotes", ["listing_id"])


def downgrade() -> None:
    op.drop_index("ix_quotes_listing_id", table_name="quotes")
    op.drop_table("quotes")
    op.drop_table("listing_prices")
