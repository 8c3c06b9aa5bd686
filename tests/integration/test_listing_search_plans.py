"""The main filter queries of ``GET /v1/listings`` are served by the indexes of migration 0028,
as Postgres's ``EXPLAIN`` shows.

The statements are the repository's own (``search_statement``). ``enable_seqscan`` is turned off
in the explaining transaction: on a test-sized table a sequential scan is the cheapest plan
whatever the indexes, so without it the plan would say nothing about them; with it, the planner
picks the cheapest index, which is asserted to be the one made for the filter.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from application.ports.listing_search import ListingFilter, ListingSearch, ListingSort
from domain.listings import ListingKind
from infrastructure.persistence.listing_search import search_statement
from infrastructure.persistence.tables import tenants
from tests.databases import migrated_postgres

pytestmark = pytest.mark.postgres

# One large tenant (whose searches are explained) among small ones: the plans of a catalogue
# that needs its indexes. With a few thousand rows a tenant's rows are read whole anyway.
LARGE, SMALL, TENANTS = 50_000, 100, 10
START = datetime(2027, 1, 1, tzinfo=UTC)
# Rows as the repository writes them (``catalogue_to_row``: folded name, and the flight number
# in the search text), made by the database itself: fifty thousand inserts would be slow.
FILL = text(
    "INSERT INTO listings (id, tenant_id, kind, name, starts_at, hold_ttl_seconds, created_at, version,"
    " search_text, sort_name) "
    "SELECT gen_random_uuid(), :tenant, (ARRAY['event_show', 'flight', 'stay_property'])[n % 3 + 1],"
    " 'Listing ' || n, CAST(:start AS timestamptz) + n * interval '1 hour', 600, :start, 1,"
    " 'listing ' || n || chr(10) || 'hf' || n, 'listing ' || n "
    "FROM generate_series(1, :count) AS n"
)


async def _fill(connection: AsyncConnection) -> UUID:
    ids = [uuid4() for _ in range(TENANTS)]
    await connection.execute(insert(tenants), [{"id": t, "name": f"plans-{t}", "created_at": START} for t in ids])
    for tenant in ids:
        count = LARGE if tenant == ids[0] else SMALL
        await connection.execute(FILL, {"tenant": tenant, "start": START, "count": count})
    await connection.execute(text("ANALYZE listings"))
    return ids[0]


async def _plan(connection: AsyncConnection, tenant: UUID, search: ListingSearch) -> str:
    statement = search_statement(tenant, search)
    sql = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    async with connection.begin_nested():
        await connection.execute(text("SET LOCAL enable_seqscan = off"))
        rows = (await connection.execute(text(f"EXPLAIN {sql}"))).all()
    return "\n".join(row[0] for row in rows)


WINDOW = ListingFilter(starts_from=START + timedelta(hours=10), starts_to=START + timedelta(hours=40))
CASES = [
    ("kind", ListingSearch(ListingFilter(kind=ListingKind.FLIGHT)), "ix_listings_tenant_kind_page"),
    ("text", ListingSearch(ListingFilter(text="hf1234")), "ix_listings_search_trgm"),
    ("dates", ListingSearch(WINDOW, ListingSort.STARTS_AT), "ix_listings_tenant_starts"),
    ("by start", ListingSearch(sort=ListingSort.STARTS_AT), "ix_listings_tenant_starts"),
    ("by name", ListingSearch(sort=ListingSort.NAME), "ix_listings_tenant_name"),
    ("default", ListingSearch(), "ix_listings_tenant_page"),
]


async def test_each_main_filter_is_served_by_its_index(postgres_url: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:  # the set-up runs a loop of its own
        url = pool.submit(migrated_postgres, postgres_url, "holdfast_search_plans").result()
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.begin()
            tenant = await _fill(connection)
            plans = {name: await _plan(connection, tenant, search) for name, search, _index in CASES}
            await connection.rollback()
    finally:
        await engine.dispose()
    for name, _search, index in CASES:
        assert index in plans[name], f"{name}:\n{plans[name]}"
        assert "Seq Scan on listings" not in plans[name], f"{name}:\n{plans[name]}"
