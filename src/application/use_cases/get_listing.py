"""Read a listing with its pools."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.listings import Listing, Pool


@dataclass(frozen=True, slots=True)
class ListingWithPools:
    listing: Listing
    pools: list[Pool]


class GetListingHandler:
    """Another tenant's listing is not found, exactly like one that does not exist."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> ListingWithPools:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            pools = await uow.pools.for_listing(tenant_id, listing_id)
        return ListingWithPools(listing, pools)
