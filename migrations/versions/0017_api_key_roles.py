"""API keys act in a role (domain.roles.Role); every key made before this revision is an admin key,
which is what a tenant's key could do until now.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("role", sa.String(20), nullable=False, server_default="admin"))


def downgrade() -> None:
    # Not batch mode: SQLite (3.35+) drops a column in place; a batch copy of the table would
    # lose the catalogue-version triggers (migration 0014) that are on it.
    op.drop_column("api_keys", "role")
