"""Live holds and sales per listing, across tenants: what the operations console charts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.reconciliation import InventoryRecord
from application.ports.repositories import UnitOfWorkFactory
from domain.reconciliation import ReconciliationScope

MAX_LISTINGS = 20


@dataclass(frozen=True, slots=True)
class ListingLoad:
    listing_id: UUID
    tenant_id: UUID
    name: str
    capacity: int
    held: int
    sold: int


class GetLiveInventoryHandler:
    """Rules:

    * the numbers are the inventory engine's counters (what holds are checked against), summed
      per listing over its pools; the system of record names the pools (as reconciliation does);
    * the busiest listings first (held + sold), at most ``MAX_LISTINGS`` of them;
    * it reads every pool's counters once per call: the console polls it every 15 seconds, a
      handful of operators at most, no hot path.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, record: InventoryRecord) -> None:
        self._uow, self._engine, self._record = uow, engine, record

    async def __call__(self) -> list[ListingLoad]:
        pools = await self._record.pools(ReconciliationScope())
        tenants = {pool.listing_id: pool.tenant_id for pool in pools}
        totals: dict[UUID, list[int]] = defaultdict(lambda: [0, 0, 0])
        for counters in await self._engine.counters([pool.pool_id for pool in pools]):
            total = totals[counters.listing_id]
            total[0], total[1], total[2] = (
                total[0] + counters.capacity,
                total[1] + counters.held,
                total[2] + counters.sold,
            )
        busiest = sorted(totals.items(), key=lambda item: (-(item[1][1] + item[1][2]), str(item[0])))[:MAX_LISTINGS]
        async with self._uow() as uow:
            names = {lid: (await uow.listings.get(tenants[lid], lid)).name for lid, _ in busiest}
        return [ListingLoad(lid, tenants[lid], names[lid], *total) for lid, total in busiest]
