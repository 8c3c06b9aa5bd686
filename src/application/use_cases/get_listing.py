"""Read a listing with its pools, a page of them at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports.repositories import PageRequest, UnitOfWorkFactory
from domain.listings import Listing, Pool


@dataclass(frozen=True, slots=True)
class ListingWithPools:
    listing: Listing
    pools: list[Pool]
    pools_after: tuple[datetime, UUID] | None = None  # where the next page of pools starts


class GetListingHandler:
    """Another tenant's listing is not found, exactly like one that does not exist. Its pools
    come a page at a time (a listing may have thousands: the seats of a flight, a year of nights)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID, page: PageRequest | None = None) -> ListingWithPools:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            pools = await uow.pools.page_for_listing(tenant_id, listing_id, page or PageRequest())
        return ListingWithPools(listing, pools.items, pools.next_after)
