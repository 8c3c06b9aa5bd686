"""A pool may be overbooked, airline style: ``pools.overbooking`` units sellable beyond its
capacity (0, the default: off). The record still refuses to sell more than the pool may sell:
``sold <= capacity`` becomes ``sold <= capacity + overbooking``. A change of the allowance moves
the catalogue version (migration 0014), like a change of the capacity.

SQLite cannot alter a CHECK in place: the table is copied (batch mode), which drops the
catalogue-version triggers on it, so they are made again here, from this migration's own frozen
copy of 0014's definitions. The downgrade refuses, changing nothing, while a pool has sold
beyond its capacity: that record would not fit the old schema.

Revision ID: 0029
Revises: 0022
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CHECK = ("sold_within_capacity", "sold >= 0 AND sold <= capacity")
NEW_CHECK = ("sold_within_sellable", "sold >= 0 AND sold <= capacity + overbooking")
NOT_NEGATIVE = ("overbooking_not_negative", "overbooking >= 0")
# Frozen copy of migration 0014's triggers on pools (the statement it runs, and the columns whose
# update moves the version), with the allowance added to those columns after the upgrade.
BUMP = (
    "INSERT INTO catalogue_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = catalogue_version.version + 1"
)
OLD_COLUMNS = "tenant_id, listing_id, code, name, capacity, unit_price, currency"
NEW_COLUMNS = f"{OLD_COLUMNS}, overbooking"


def _pool_triggers(columns: str) -> tuple[tuple[str, str], ...]:
    return (
        ("catalogue_version_pools_insert", "INSERT"),
        ("catalogue_version_pools_update", f"UPDATE OF {columns}"),
        ("catalogue_version_pools_delete", "DELETE"),
    )


def _sqlite_triggers(columns: str) -> None:
    for name, event in _pool_triggers(columns):
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON pools BEGIN {BUMP}; END")


def _postgres_update_trigger(columns: str) -> None:
    op.execute("DROP TRIGGER catalogue_version_pools_update ON pools")
    op.execute(
        f"CREATE TRIGGER catalogue_version_pools_update AFTER UPDATE OF {columns} ON pools "
        "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
    )


def _triggers(columns: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_update_trigger(columns)  # the table was altered in place: its triggers are there
    else:
        _sqlite_triggers(columns)  # the table was copied: its triggers went with the old one


def upgrade() -> None:
    # In place on Postgres; on SQLite, one copy of the table (a CHECK cannot change in place).
    with op.batch_alter_table("pools") as table:
        table.add_column(sa.Column("overbooking", sa.Integer(), nullable=False, server_default="0"))
        table.drop_constraint(op.f(f"ck_pools_{OLD_CHECK[0]}"), type_="check")
        for name, condition in (NEW_CHECK, NOT_NEGATIVE):
            table.create_check_constraint(op.f(f"ck_pools_{name}"), condition)
    _triggers(NEW_COLUMNS)


def _refuse_overbooked_pools() -> None:
    # Checked before any change: SQLite runs DDL outside the migration's transaction, so a CHECK
    # failing half-way through the table copy would leave the copy behind.
    oversold = op.get_bind().execute(sa.text("SELECT count(*) FROM pools WHERE sold > capacity")).scalar_one()
    if oversold:
        raise RuntimeError(f"{oversold} pools have sold beyond their capacity: resize them before downgrading")


def downgrade() -> None:
    _refuse_overbooked_pools()
    if op.get_bind().dialect.name == "postgresql":
        _postgres_update_trigger(OLD_COLUMNS)  # before the column it names goes
    with op.batch_alter_table("pools") as table:
        for name, _ in (NEW_CHECK, NOT_NEGATIVE):
            table.drop_constraint(op.f(f"ck_pools_{name}"), type_="check")
        table.drop_column("overbooking")
        table.create_check_constraint(op.f(f"ck_pools_{OLD_CHECK[0]}"), OLD_CHECK[1])
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_triggers(OLD_COLUMNS)
