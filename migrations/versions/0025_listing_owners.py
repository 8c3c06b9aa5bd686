"""listing owners: which owners (a user ``user:<id>`` or an API key ``key:<id>``) own which
listings, so the ``owner`` role reads its own listings' bookings, revenue and sales only.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_owners",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DateTimeUTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name="fk_listing_owners_listing_id_listings", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("listing_id", "subject", name="pk_listing_owners"),
    )
    # An owner's listings: every owner read starts here.
    op.create_index("ix_listing_owners_subject", "listing_owners", ["tenant_id", "subject", "listing_id"])


def downgrade() -> None:
    op.drop_index("ix_listing_owners_subject", table_name="listing_owners")
    op.drop_table("listing_owners")
