"""Read one pool with its live counters."""

from __future__ import annotations

from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.create_pool import PoolWithCounters
from application.use_cases.inventory_state import counted


class GetPoolHandler:
    """Another tenant's pool is not found, exactly like one that does not exist; a pool the
    engine no longer counts is ``InventoryUnavailableError``."""

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(self, tenant_id: UUID, pool_id: UUID) -> PoolWithCounters:
        async with self._uow() as uow:
            pool = await uow.pools.get(tenant_id, pool_id)
        counters = await counted(self._engine, [pool])
        return PoolWithCounters(pool, counters[pool.id])
