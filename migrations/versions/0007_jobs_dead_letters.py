"""jobs dead letters

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = sa.text("replayed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "job_dead_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_job_id", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job_dead_letters"),
    )
    op.create_index("ix_job_dead_letters_failed_at", "job_dead_letters", ["failed_at"])
    op.create_index(
        "ix_job_dead_letters_waiting",
        "job_dead_letters",
        ["failed_at"],
        postgresql_where=_WAITING,
        sqlite_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_table("job_dead_letters")
