"""The catalogue: listing details by kind, archived listings and pools, search and sort columns,
and the indexes ``GET /v1/listings`` filters with.

* ``listings.details`` (JSON): a show's venue and performances, a flight's route and times, a
  property's address, check-in/out and time zone (domain.listing_details); None for listings
  made before;
* ``listings.archived_at``, ``pools.archived_at``: archived ones take no new holds;
* ``listings.search_text`` (what ``q`` matches, case-folded) and ``listings.sort_name`` (what
  ``sort=name`` orders by), filled here for existing listings the way the repository fills them;
* indexes by (tenant, kind, created_at, id), (tenant, starts_at, id), (tenant, sort_name, id), and
  on Postgres a pg_trgm GIN index on ``search_text`` for ``q`` (pg_trgm is a trusted extension:
  a database owner may create it). SQLite gets a plain index of the same name (it cannot serve
  a substring match; it keeps one schema description for both databases);
* the catalogue-version trigger on pools also fires on ``archived_at`` (migration 0014): an
  archived pool must reach every process's catalogue cache like a price change does.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What 0014's trigger watches by now: 0023 (overbooking) added its column to the list.
OLD_POOL_COLUMNS = "tenant_id, listing_id, code, name, capacity, unit_price, currency, overbooking"
NEW_POOL_COLUMNS = OLD_POOL_COLUMNS + ", archived_at"
TRIGGER = "catalogue_version_pools_update"
BUMP = (
    "INSERT INTO catalogue_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = catalogue_version.version + 1"
)
INDEXES = (
    ("ix_listings_tenant_kind_page", ["tenant_id", "kind", "created_at", "id"]),
    ("ix_listings_tenant_starts", ["tenant_id", "starts_at", "id"]),
    ("ix_listings_tenant_name", ["tenant_id", "sort_name", "id"]),
)


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _pool_trigger(columns: str) -> None:
    if _postgres():
        op.execute(f"DROP TRIGGER {TRIGGER} ON pools")
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {columns} ON pools "
            "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
        )
        return
    op.execute(f"DROP TRIGGER {TRIGGER}")
    op.execute(f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {columns} ON pools BEGIN {BUMP}; END")


def _fill_search_columns() -> None:
    """Existing listings have a name and no details: folded as ``domain.listing_details`` folds."""
    bind = op.get_bind()
    listings = sa.table("listings", sa.column("id", sa.Uuid()), sa.column("name"), sa.column("search_text"))
    listings.append_column(sa.column("sort_name"))
    for ident, name in bind.execute(sa.select(listings.c.id, listings.c.name)).all():
        folded = name.casefold()
        bind.execute(listings.update().where(listings.c.id == ident).values(search_text=folded, sort_name=folded))


def upgrade() -> None:
    postgres = _postgres()
    sort_type = sa.String(800, collation="C") if postgres else sa.String(800)
    op.add_column("listings", sa.Column("details", sa.JSON(), nullable=True))
    op.add_column("listings", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("listings", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.add_column("listings", sa.Column("sort_name", sort_type, nullable=False, server_default=""))
    op.add_column("pools", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    _fill_search_columns()
    for name, columns in INDEXES:
        op.create_index(name, "listings", columns)
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_listings_search_trgm ON listings USING gin (search_text gin_trgm_ops)")
    else:
        op.create_index("ix_listings_search_trgm", "listings", ["search_text"])
    _pool_trigger(NEW_POOL_COLUMNS)


def downgrade() -> None:
    _pool_trigger(OLD_POOL_COLUMNS)
    op.drop_index("ix_listings_search_trgm", table_name="listings")
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="listings")
    # Not batch mode: SQLite (3.35+) drops a column in place; a batch copy of the table would
    # lose the catalogue-version triggers (migration 0014) that are on it.
    op.drop_column("pools", "archived_at")
    for column in ("sort_name", "search_text", "archived_at", "details"):
        op.drop_column("listings", column)
