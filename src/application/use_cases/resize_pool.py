"""Change a pool's capacity."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.create_pool import PoolWithCounters
from domain.inventory import PoolCounters
from domain.listings import Pool, check_capacity


@dataclass(frozen=True, slots=True)
class ResizePool:
    tenant_id: UUID
    pool_id: UUID
    capacity: int


class ResizePoolHandler:
    """A pool never shrinks below its held + sold units: the engine checks that atomically
    (``CapacityBelowCommittedError``), and the catalogue records the new capacity in the same
    unit of work. The engine enforces capacity on every hold; the catalogue cache is told too,
    so that no process keeps the old pool once committed. The overbooking allowance stays: the
    engine is given the new sellable capacity, and a capacity too small for the allowance is
    refused (``Pool.resize``).
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, catalogue: CatalogueCache) -> None:
        self._uow, self._engine, self._catalogue = uow, engine, catalogue

    async def __call__(self, command: ResizePool) -> PoolWithCounters:
        check_capacity(command.capacity)
        async with self._uow() as uow:
            pool = await uow.pools.get(command.tenant_id, command.pool_id)
            counters = await resize_in(uow, self._engine, pool, command.capacity)
            await uow.commit()
        await self._catalogue.changed_listing(pool.listing_id)
        return PoolWithCounters(pool, counters)


async def resize_in(uow: UnitOfWork, engine: InventoryEngine, pool: Pool, capacity: int) -> PoolCounters:
    """Resizes ``pool`` in the catalogue (optimistically: a pool changed meanwhile is a
    ``ConflictError``), audited, and in the engine, which refuses to go below held + sold
    (``CapacityBelowCommittedError``). The caller commits the unit of work, and announces the
    listing changed to the catalogue cache once committed."""
    before = {"capacity": pool.capacity}
    pool.resize(capacity)
    await uow.pools.save(pool)
    await uow.audit.record("pool.resize", "pool", pool.id, before=before, after={"capacity": pool.capacity})
    return await engine.resize(pool.id, pool.sellable)  # the engine counts what may be sold: overbooking too
