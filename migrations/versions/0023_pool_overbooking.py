"""A pool may be overbooked, airline style: ``pools.overbooking`` units sellable beyond its
capacity (0, the default: off). The record still refuses to sell more than the pool may sell:
``sold <= capacity`` becomes ``sold <= capacity + overbooking``. A change of the allowance moves
the catalogue version (migration 0014), like a change of the capacity.

SQLite cannot alter a CHECK in place: the table is copied (batch mode), which drops the
catalogue-version triggers on it, so they are read before the copy and made again after it.
The downgrade refuses, changing nothing, while a pool has sold beyond its capacity: that record
would not fit the old schema.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CHECK = ("sold_within_capacity", "sold >= 0 AND sold <= capacity")
NEW_CHECK = ("sold_within_sellable", "sold >= 0 AND sold <= capacity + overbooking")
NOT_NEGATIVE = ("overbooking_not_negative", "overbooking >= 0")
# The column list of an ``AFTER UPDATE OF ... ON`` trigger (0014's catalogue-version trigger).
UPDATE_OF = re.compile(r"(AFTER UPDATE OF )(.*?)( ON )", re.IGNORECASE | re.DOTALL)


def _watching_overbooking(definition: str, watch: bool) -> str:
    """A trigger's definition with ``overbooking`` added to (or taken from) its UPDATE OF list."""

    def columns(found: re.Match[str]) -> str:
        names = [name.strip() for name in found.group(2).split(",") if name.strip() != "overbooking"]
        return found.group(1) + ", ".join([*names, *(["overbooking"] if watch else [])]) + found.group(3)

    return UPDATE_OF.sub(columns, definition, count=1)


def _pool_triggers() -> dict[str, str]:
    """The triggers on pools as they are now (name -> definition), whatever migrations made them:
    read, not copied, so that this migration keeps them whatever order it is chained in."""
    if op.get_bind().dialect.name == "postgresql":
        query = (
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'pools'::regclass AND NOT tgisinternal"
        )
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'pools'"
    return {str(name): str(definition) for name, definition in op.get_bind().execute(sa.text(query))}


def _remake(triggers: dict[str, str], watch: bool) -> None:
    """Makes ``triggers`` again, each UPDATE OF list watching ``overbooking`` or not. On SQLite
    the table copy dropped them all; on Postgres only the UPDATE OF ones need remaking."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, definition in triggers.items():
        if postgres and not UPDATE_OF.search(definition):
            continue
        op.execute(f"DROP TRIGGER IF EXISTS {name}{' ON pools' if postgres else ''}")
        op.execute(_watching_overbooking(definition, watch))


def upgrade() -> None:
    triggers = _pool_triggers()
    # In place on Postgres; on SQLite, one copy of the table (a CHECK cannot change in place).
    with op.batch_alter_table("pools") as table:
        table.add_column(sa.Column("overbooking", sa.Integer(), nullable=False, server_default="0"))
        table.drop_constraint(op.f(f"ck_pools_{OLD_CHECK[0]}"), type_="check")
        for name, condition in (NEW_CHECK, NOT_NEGATIVE):
            table.create_check_constraint(op.f(f"ck_pools_{name}"), condition)
    _remake(triggers, watch=True)


def _refuse_overbooked_pools() -> None:
    # Checked before any change: SQLite runs DDL outside the migration's transaction, so a CHECK
    # failing half-way through the table copy would leave the copy behind.
    oversold = op.get_bind().execute(sa.text("SELECT count(*) FROM pools WHERE sold > capacity")).scalar_one()
    if oversold:
        raise RuntimeError(f"{oversold} pools have sold beyond their capacity: resize them before downgrading")


def downgrade() -> None:
    _refuse_overbooked_pools()
    triggers = _pool_triggers()
    if op.get_bind().dialect.name == "postgresql":
        _remake(triggers, watch=False)  # before the column they name goes
    with op.batch_alter_table("pools") as table:
        for name, _ in (NEW_CHECK, NOT_NEGATIVE):
            table.drop_constraint(op.f(f"ck_pools_{name}"), type_="check")
        table.drop_column("overbooking")
        table.create_check_constraint(op.f(f"ck_pools_{OLD_CHECK[0]}"), OLD_CHECK[1])
    if op.get_bind().dialect.name != "postgresql":
        _remake(triggers, watch=False)
