"""Change a pool's capacity."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.create_pool import PoolWithCounters
from domain.listings import check_capacity


@dataclass(frozen=True, slots=True)
class ResizePool:
    tenant_id: UUID
    pool_id: UUID
    capacity: int


class ResizePoolHandler:
    """A pool never shrinks below its held + sold units: the engine checks that atomically
    (``CapacityBelowCommittedError``), and the catalogue records the new capacity in the same
    unit of work.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(self, command: ResizePool) -> PoolWithCounters:
        check_capacity(command.capacity)
        async with self._uow() as uow:
            pool = await uow.pools.get(command.tenant_id, command.pool_id)
            pool.resize(command.capacity)
            await uow.pools.save(pool)
            counters = await self._engine.resize(pool.id, command.capacity)
            await uow.commit()
        return PoolWithCounters(pool, counters)
