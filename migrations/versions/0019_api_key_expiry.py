"""An API key may end by itself: ``api_keys.expires_at`` (None: no end). A key authenticates
strictly before min(revoked_at, expires_at); both are compared with the clock on every read,
so an expiry takes effect at its instant in every process, with no message.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode: SQLite (3.35+) drops a column in place; a batch copy of the table would
    # lose the catalogue-version triggers (migration 0014) that are on it.
    op.drop_column("api_keys", "expires_at")
