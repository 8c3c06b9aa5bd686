"""catalogue version: one number every write to the cached catalogue moves, by trigger

The sql engine's per-process catalogue cache (keys, listings, pools) reads it to learn that
another process (a second API process, the CLI, an operator's SQL) changed what it holds. Being
triggers, no writer can forget to move it, and it moves in the writing transaction.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Which writes change what the cache holds. A pool's sold count (every booking) does not; a
# listing created needs no trigger (a listing not found is never cached).
POOL_COLUMNS = "tenant_id, listing_id, code, name, capacity, unit_price, currency"
TRIGGERS = (
    ("tenants", "UPDATE"),
    ("tenants", "DELETE"),
    ("api_keys", "INSERT"),
    ("api_keys", "UPDATE"),
    ("api_keys", "DELETE"),
    ("listings", "UPDATE"),
    ("listings", "DELETE"),
    ("pools", "INSERT"),
    ("pools", f"UPDATE OF {POOL_COLUMNS}"),
    ("pools", "DELETE"),
)
# Upserted, not updated: a version row emptied by hand (a test's TRUNCATE) still moves.
BUMP = (
    "INSERT INTO catalogue_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = catalogue_version.version + 1"
)


def _name(table: str, event: str) -> str:
    return f"catalogue_version_{table}_{event.split()[0].lower()}"


def upgrade() -> None:
    op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalogue_version"),
    )
    op.execute("INSERT INTO catalogue_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION catalogue_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, event in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
            )
        return
    for table, event in TRIGGERS:
        op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, event in TRIGGERS:
        on_table = f" ON {table}" if postgres else ""
        op.execute(f"DROP TRIGGER {_name(table, event)}{on_table}")
    if postgres:
        op.execute("DROP FUNCTION catalogue_version_bump()")
    op.drop_table("catalogue_version")
