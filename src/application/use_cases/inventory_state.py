"""Whether the inventory engine still has the state the system of record expects of it.

Postgres says which pools exist; the engine counts them. A pool the catalogue lists and the
engine does not count was lost by the engine (a pool is never in the catalogue without
counters: ``CreatePoolHandler``), so every answer built from it would be wrong. These checks turn
that into ``InventoryUnavailableError`` (503), and readiness into "not ready", until an operator
runs ``holdfast reconcile inventory --repair``.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.errors import InventoryUnavailableError
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from domain.inventory import PoolCounters
from domain.listings import Pool

REPAIR = "holdfast reconcile inventory --repair"


async def counted(engine: InventoryEngine, pools: Sequence[Pool]) -> dict[UUID, PoolCounters]:
    """The engine's counters of the catalogue's ``pools``, by pool id, every one of them."""
    found = {counters.pool_id: counters for counters in await engine.counters([pool.id for pool in pools])}
    if any(pool.id not in found for pool in pools):
        raise InventoryUnavailableError("the inventory of this listing is unavailable; retry later")
    return found


async def catalogue_has_pools(uow: UnitOfWorkFactory) -> bool:
    async with uow() as unit:
        return await unit.pools.any_exist()


class CheckInventoryStateHandler:
    """Rules:

    * the engine's state is missing when it has none at all (``has_state`` is False) while the
      catalogue has pools: everything was lost (an emptied Redis); an engine without state and
      a catalogue without pools is a fresh install, with nothing to lose;
    * the cost is bounded for readiness probes and scrapes: one engine call, plus a one-row read
      of the catalogue only while the engine has no state;
    * a single listing that lost its counters while the others kept theirs is not seen here
      (that would mean looking at every listing on every probe): its own calls answer
      ``InventoryUnavailableError`` and holds refused on it are counted by reason.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(self) -> bool:
        """True when the engine's state is missing."""
        return not await self._engine.has_state() and await catalogue_has_pools(self._uow)
