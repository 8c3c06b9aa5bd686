"""How many units of each pool of a listing can still be held."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from domain.inventory import PoolCounters
from domain.listings import Listing, Pool


@dataclass(frozen=True, slots=True)
class Availability:
    listing: Listing
    pools: list[tuple[Pool, PoolCounters]]


class GetAvailabilityHandler:
    """The catalogue comes from the system of record, the live counters from the engine: every
    pool of the catalogue, or ``InventoryUnavailableError`` when the engine lost some."""

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> Availability:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            pools = await uow.pools.for_listing(tenant_id, listing_id)
        counters = await counted(self._engine, pools)
        return Availability(listing, [(pool, counters[pool.id]) for pool in pools])
