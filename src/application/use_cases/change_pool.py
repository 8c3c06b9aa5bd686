"""Change a pool: its name, unit price or capacity, or archive it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.create_pool import PoolWithCounters
from application.use_cases.inventory_state import counted
from domain.listings import Pool
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class ChangePool:
    tenant_id: UUID
    pool_id: UUID
    name: str | None = None
    unit_price: int | None = None  # minor units, in the pool's currency (which never changes)
    capacity: int | None = None
    archived: bool | None = None  # True: archive; False: unarchive

    def __post_init__(self) -> None:
        if self.name is not None:
            check_line("name", self.name)


def _summary(pool: Pool) -> dict[str, object]:
    return {
        "name": pool.name,
        "unit_price": pool.unit_price.amount,
        "capacity": pool.capacity,
        "archived_at": pool.archived_at,
    }


def _action(changed: list[str], command: ChangePool) -> str:
    """The narrowest stable name for what changed: ``pool.resize`` (capacity alone, the name it
    always had), ``pool.archive`` / ``pool.unarchive``, else ``pool.change``."""
    if changed == ["capacity"]:
        return "pool.resize"
    if changed == ["archived_at"]:
        return "pool.archive" if command.archived else "pool.unarchive"
    return "pool.change"


class ChangePoolHandler:
    """Fields left out keep their values. Rules:

    * a new unit price applies to holds placed after the change reaches the catalogue cache (at
      once in this process, within its bound in the others); a hold placed before keeps the
      price it locked, and so does its booking;
    * capacity follows ``ResizePoolHandler``'s rule: never below held + sold (the engine checks
      it atomically, ``CapacityBelowCommittedError``), recorded in the same unit of work;
    * an archived pool takes no new holds (``PoolArchivedError``); its held and sold units stay,
      and its holds may still be booked; unarchived, it sells again;
    * one audit row with the changed fields before and after (``pool.resize`` for capacity
      alone, ``pool.archive``/``pool.unarchive``, else ``pool.change``); a request that changes
      nothing writes none.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, engine: InventoryEngine, clock: Clock, catalogue: CatalogueCache
    ) -> None:
        self._uow, self._engine, self._clock, self._catalogue = uow, engine, clock, catalogue

    async def __call__(self, command: ChangePool) -> PoolWithCounters:
        async with self._uow() as uow:
            pool = await uow.pools.get(command.tenant_id, command.pool_id)
            before = _summary(pool)
            if not pool.change(
                self._clock.now(),
                name=command.name,
                unit_price=command.unit_price,
                capacity=command.capacity,
                archived=command.archived,
            ):
                return PoolWithCounters(pool, (await counted(self._engine, [pool]))[pool.id])
            after = _summary(pool)
            changed = [name for name in after if after[name] != before[name]]
            await uow.pools.save(pool)
            if "capacity" in changed:
                counters = await self._engine.resize(pool.id, pool.sellable)  # overbooking counted too
            else:
                counters = (await counted(self._engine, [pool]))[pool.id]
            was, now = {n: before[n] for n in changed}, {n: after[n] for n in changed}
            await uow.audit.record(_action(changed, command), "pool", pool.id, before=was, after=now)
            await uow.commit()
        await self._catalogue.changed_listing(pool.listing_id)
        return PoolWithCounters(pool, counters)
