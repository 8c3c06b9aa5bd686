"""Add a pool (a zone, a seat, a night) to a listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from application.errors import InventoryUnavailableError
from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from domain.errors import InvalidValueError
from domain.inventory import PoolCounters
from domain.listings import Pool, TooManyPoolsError
from domain.money import Money
from domain.text import check_line


def pool_summary(pool: Pool) -> dict[str, object]:
    """A pool as its audit rows show it."""
    price = pool.unit_price
    return {
        "listing_id": pool.listing_id,
        "code": pool.code,
        "capacity": pool.capacity,
        "unit_price": price.amount,
        "currency": price.currency,
        "night": pool.night,
        "overbooking": pool.overbooking,
    }


@dataclass(frozen=True, slots=True)
class CreatePool:
    tenant_id: UUID
    listing_id: UUID
    code: str
    capacity: int
    unit_price: int
    currency: str
    name: str = ""
    night: date | None = None
    overbooking: int = 0  # units sellable beyond capacity (0: off)

    def __post_init__(self) -> None:
        check_line("code", self.code)
        check_line("name", self.name)


@dataclass(frozen=True, slots=True)
class PoolWithCounters:
    pool: Pool
    counters: PoolCounters


class CreatePoolHandler:
    """Pool codes are unique within a listing, all pools of a listing share one currency
    (a hold is priced in a single currency), and a listing has at most ``max_pools`` pools
    (``TooManyPoolsError``). Both are checked under the listing's row lock, so two pools added
    at once cannot both pass the check (one waits for the other's commit). The engine starts
    counting the pool in the same unit of work, so a pool is never in the catalogue without
    counters. While the engine has lost the counters of the listing's other pools (or all of
    its state), no pool is added: the new counters would make the loss look whole, the lost pools as if they never were.
    The engine counts the pool's sellable capacity (capacity + overbooking, ``Pool``).
    Once committed, the listing is announced changed to the catalogue cache (holds may name
    the pool).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        ids: IdGenerator,
        catalogue: CatalogueCache,
        max_pools: int = 2000,
    ) -> None:
        self._uow, self._engine, self._clock, self._ids = uow, engine, clock, ids
        self._catalogue, self._max_pools = catalogue, max_pools

    async def __call__(self, command: CreatePool) -> PoolWithCounters:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            pool = Pool(
                id=self._ids.new_id(),
                tenant_id=listing.tenant_id,
                listing_id=listing.id,
                code=command.code,
                name=command.name,
                capacity=command.capacity,
                unit_price=Money(command.unit_price, command.currency),
                created_at=self._clock.now(),
                night=command.night,
                overbooking=command.overbooking,
            )
            siblings = await uow.pools.for_listing(listing.tenant_id, listing.id)
            if len(siblings) >= self._max_pools:
                raise TooManyPoolsError(self._max_pools)
            if any(other.unit_price.currency != pool.unit_price.currency for other in siblings):
                raise InvalidValueError("currency", "all pools of a listing must use one currency")
            await self._require_engine_state(uow, siblings)
            await uow.pools.add(pool)
            await uow.audit.record("pool.create", "pool", pool.id, after=pool_summary(pool))
            counters = await self._engine.add_pool(PoolCounters(pool.id, listing.id, pool.sellable))
            await uow.commit()
        await self._catalogue.changed_listing(listing.id)
        return PoolWithCounters(pool, counters)

    async def _require_engine_state(self, uow: UnitOfWork, siblings: list[Pool]) -> None:
        if siblings:
            await counted(self._engine, siblings)
        elif not await self._engine.has_state() and await uow.pools.any_exist():
            raise InventoryUnavailableError()
