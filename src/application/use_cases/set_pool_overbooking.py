"""Set how many units of a pool may be sold beyond its capacity (airline-style overbooking)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.create_pool import PoolWithCounters


@dataclass(frozen=True, slots=True)
class SetPoolOverbooking:
    tenant_id: UUID
    pool_id: UUID
    units: int  # 0 turns overbooking off


class SetPoolOverbookingHandler:
    """The allowance is 0 up to half the pool's capacity (``domain.listings.check_overbooking``,
    422 beyond). The engine is given the new sellable capacity (capacity + allowance) exactly as
    a resize gives it a new capacity, in the same unit of work as the catalogue's change: it
    refuses atomically, with ``CapacityBelowCommittedError``, to go below the units held or sold,
    so an allowance already sold cannot be taken back. The engine needs no rule of its own: it
    never sells beyond the capacity it is told. The catalogue cache is told once committed.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, catalogue: CatalogueCache) -> None:
        self._uow, self._engine, self._catalogue = uow, engine, catalogue

    async def __call__(self, command: SetPoolOverbooking) -> PoolWithCounters:
        async with self._uow() as uow:
            pool = await uow.pools.get(command.tenant_id, command.pool_id)
            before = {"overbooking": pool.overbooking}
            pool.set_overbooking(command.units)
            await uow.pools.save(pool)
            after = {"overbooking": pool.overbooking}
            await uow.audit.record("pool.overbooking", "pool", pool.id, before=before, after=after)
            counters = await self._engine.resize(pool.id, pool.sellable)
            await uow.commit()
        await self._catalogue.changed_listing(pool.listing_id)
        return PoolWithCounters(pool, counters)
