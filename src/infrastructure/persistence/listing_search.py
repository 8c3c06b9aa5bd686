"""The query behind ``GET /v1/listings``: filters, a sort, and a keyset page, one statement.

Each filter maps to an index (migration 0023): ``kind`` to (tenant, kind, created_at, id); a
date range or ``sort=starts_at`` to (tenant, starts_at, id); ``sort=name`` to (tenant, sort_name,
id); ``q`` to the pg_trgm GIN index on ``search_text`` (Postgres; SQLite scans the tenant's
rows). ``available`` is an EXISTS over the listing's pools (by their listing_id index): the
recorded sold count is in Postgres, so no engine call is made per listing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from application.ports.listing_search import ListingFilter, ListingSearch, ListingSort, SortKey
from infrastructure.persistence.tables import listings, pools

_SORT_COLUMN = {
    ListingSort.CREATED_AT: listings.c.created_at,
    ListingSort.STARTS_AT: listings.c.starts_at,
    ListingSort.NAME: listings.c.sort_name,
}


def search_statement(tenant_id: UUID, search: ListingSearch) -> Select[Any]:
    """The page's rows, and one more (whether a next page exists)."""
    column = _SORT_COLUMN[search.sort]
    statement = select(listings).where(listings.c.tenant_id == tenant_id, *filters(search.where))
    if search.after is not None:
        statement = statement.where(_after(column, search.after))
    ordered = column.asc().nulls_last() if search.sort is ListingSort.STARTS_AT else column.asc()
    return statement.order_by(ordered, listings.c.id).limit(search.limit + 1)


def filters(where: ListingFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [
        listings.c.archived_at.is_not(None) if where.archived else listings.c.archived_at.is_(None)
    ]
    if where.kind is not None:
        found.append(listings.c.kind == where.kind.value)
    if where.text is not None:
        found.append(listings.c.search_text.contains(where.text.casefold(), autoescape=True))
    if where.starts_from is not None:
        found.append(listings.c.starts_at >= where.starts_from)
    if where.starts_to is not None:
        found.append(listings.c.starts_at < where.starts_to)
    if where.available:
        found.append(_units_left())
    return found


def _units_left() -> ColumnElement[bool]:
    left = and_(pools.c.listing_id == listings.c.id, pools.c.archived_at.is_(None), pools.c.capacity > pools.c.sold)
    return exists().where(left)


def _after(column: Any, after: SortKey) -> ColumnElement[bool]:
    """Strictly after (value, id) in the sort's order; NULL starts sort last."""
    value, ident = after
    if value is None:  # only under starts_at: the rest of the listings without a start
        return and_(column.is_(None), listings.c.id > ident)
    later = or_(column > value, and_(column == value, listings.c.id > ident))
    return or_(later, column.is_(None)) if column is listings.c.starts_at else later
