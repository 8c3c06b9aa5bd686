"""A pool may sell one night of a stay: ``pools.night`` (None for zones and seats). Rules of
stays (minimum stay, check-in weekdays, seasons in pricing) read the night from here instead
of from the pool's code.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pools", sa.Column("night", sa.Date(), nullable=True))
    op.create_index("ix_pools_listing_night", "pools", ["listing_id", "night"])


def downgrade() -> None:
    op.drop_index("ix_pools_listing_night", table_name="pools")
    # Not batch mode: SQLite (3.35+) drops a column in place; a batch copy of the table would
    # lose the catalogue-version triggers (migration 0014) that are on it.
    op.drop_column("pools", "night")
