"""How many units of each pool of a listing can still be held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import PageRequest, UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from domain.inventory import PoolCounters
from domain.listings import Listing, Pool


@dataclass(frozen=True, slots=True)
class Availability:
    listing: Listing
    pools: list[tuple[Pool, PoolCounters]]
    pools_after: tuple[datetime, UUID] | None = None  # where the next page of pools starts


class GetAvailabilityHandler:
    """The catalogue comes from the system of record, the live counters from the engine: a page
    of the listing's pools (as ``GetListingHandler`` pages them: a listing may have thousands),
    each with its counters, or ``InventoryUnavailableError`` when the engine lost one of them.
    Another tenant's listing is not found, exactly like one that does not exist."""

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(self, tenant_id: UUID, listing_id: UUID, page: PageRequest | None = None) -> Availability:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            pools = await uow.pools.page_for_listing(tenant_id, listing_id, page or PageRequest())
        counters = await counted(self._engine, pools.items)
        return Availability(listing, [(pool, counters[pool.id]) for pool in pools.items], pools.next_after)
