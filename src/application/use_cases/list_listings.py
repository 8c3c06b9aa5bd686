"""List a tenant's listings: filtered, searched and sorted, a page at a time."""

from __future__ import annotations

from uuid import UUID

from application.ports.listing_search import ListingSearch, ListingSearchPage
from application.ports.repositories import UnitOfWorkFactory


class ListListingsHandler:
    """Keyset-paginated in the asked order (ties broken by id), so that pages stay stable while
    listings are added. Archived listings are left out unless asked for. The filters' meaning
    is ``ListingFilter``'s; ``available`` reads the system of record's sold counts, not the
    engine, so a list costs one query whatever the engine (held units count as left)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, search: ListingSearch) -> ListingSearchPage:
        async with self._uow() as uow:
            return await uow.listings.search(tenant_id, search)
