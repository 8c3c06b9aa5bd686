"""Set a flight's seat map: one capacity-1 pool per seat, one count pool per cabin."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from application.use_cases.resize_pool import resize_in
from domain.errors import InvalidValueError
from domain.inventory import PoolCounters
from domain.listings import Listing, ListingKind, Pool, TooManyPoolsError
from domain.money import Money
from domain.seat_maps import (
    ListingSeatMap,
    MappedCabin,
    MappedSeat,
    NotAFlightError,
    Seat,
    SeatMap,
    SeatMapInUseError,
    cabin_pool_code,
)


@dataclass(frozen=True, slots=True)
class SetSeatMap:
    tenant_id: UUID
    listing_id: UUID
    seat_map: SeatMap


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A pool the map needs: its code, name, capacity and unit price."""

    code: str
    name: str
    capacity: int
    price: int


class SetSeatMapHandler:
    """Rules:

    * only a flight listing has a seat map (``NotAFlightError``);
    * each seat is a capacity-1 pool coded by the seat (``12A``, priced at the seat's
      surcharge) and each cabin a pool coded ``cabin-<code>`` with one unit per seat (priced at
      the cabin's price): a seat hold takes one unit of both, so its total is the seat's price;
    * a pool of the listing whose code the map names is reused (capacity and price set anew);
      a pool of the previous map that the new one drops is kept with capacity 0 (holds and
      bookings may name it later no more, but history may);
    * nothing changes once any pool the map touches is held or sold (``SeatMapInUseError``),
      read under the listing's row lock; the listing's pools stay within ``max_pools``
      (``TooManyPoolsError``) and in one currency;
    * catalogue and engine change in one unit of work, the catalogue cache is told after.
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

    async def __call__(self, command: SetSeatMap) -> ListingSeatMap:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            if listing.kind is not ListingKind.FLIGHT:
                raise NotAFlightError()
            siblings = {pool.code: pool for pool in await uow.pools.for_listing(listing.tenant_id, listing.id)}
            previous = await uow.seat_maps.get(listing.id)
            wanted = _wanted(command.seat_map)
            await self._check_free(previous, [siblings[w.code] for w in wanted if w.code in siblings])
            self._check_room(command.seat_map, siblings, wanted)
            pool_ids = {w.code: await self._pool(uow, listing, siblings.get(w.code), w, command) for w in wanted}
            await self._retire(uow, listing.tenant_id, previous, set(pool_ids.values()))
            placed = _placed(listing.id, command.seat_map, pool_ids)
            await uow.seat_maps.replace(listing.id, placed.cabins, placed.seats)
            summary = {"cabins": [cabin.code for cabin in placed.cabins], "seats": len(placed.seats)}
            await uow.audit.record("seat_map.set", "listing", listing.id, after=summary)
            await uow.commit()
        await self._catalogue.changed_listing(listing.id)
        return placed

    async def _check_free(self, previous: ListingSeatMap | None, reused: list[Pool]) -> None:
        touched = {pool.id for pool in reused} | set(previous.pool_ids() if previous else ())
        if not touched:
            return
        if any(found.held or found.sold for found in await self._engine.counters(list(touched))):
            raise SeatMapInUseError()
        if reused:
            await counted(self._engine, reused)  # a lost pool is no free one: 503, not a guess

    def _check_room(self, seat_map: SeatMap, siblings: dict[str, Pool], wanted: list[_Wanted]) -> None:
        if len(siblings) + sum(w.code not in siblings for w in wanted) > self._max_pools:
            raise TooManyPoolsError(self._max_pools)
        if any(pool.unit_price.currency != seat_map.currency for pool in siblings.values()):
            raise InvalidValueError("currency", "all pools of a listing must use one currency")

    async def _pool(
        self, uow: UnitOfWork, listing: Listing, pool: Pool | None, w: _Wanted, command: SetSeatMap
    ) -> UUID:
        if pool is None:
            money = Money(w.price, command.seat_map.currency)
            now = self._clock.now()
            pool = Pool(self._ids.new_id(), listing.tenant_id, listing.id, w.code, w.capacity, money, now, name=w.name)
            await uow.pools.add(pool)
            await self._engine.add_pool(PoolCounters(pool.id, listing.id, pool.sellable))
            return pool.id
        if pool.capacity != w.capacity:
            await resize_in(uow, self._engine, pool, w.capacity)
        if pool.change(self._clock.now(), unit_price=w.price):  # after the resize: one save a version
            await uow.pools.save(pool)
        return pool.id

    async def _retire(self, uow: UnitOfWork, tenant_id: UUID, previous: ListingSeatMap | None, kept: set[UUID]) -> None:
        for pool_id in previous.pool_ids() if previous else ():
            if pool_id not in kept:
                await resize_in(uow, self._engine, await uow.pools.get(tenant_id, pool_id), 0)


def _wanted(seat_map: SeatMap) -> list[_Wanted]:
    cabins = [
        _Wanted(cabin_pool_code(cabin.code), cabin.name, len(cabin.seats()), cabin.price) for cabin in seat_map.cabins
    ]
    seats = [_Wanted(seat.code, f"Seat {seat.code}", 1, seat.surcharge) for seat in seat_map.seats()]
    return cabins + seats


def _placed(listing_id: UUID, seat_map: SeatMap, pool_ids: dict[str, UUID]) -> ListingSeatMap:
    cabins = tuple(
        MappedCabin(
            c.code,
            c.name,
            c.first_row,
            c.last_row,
            c.letters,
            c.price,
            seat_map.currency,
            pool_ids[cabin_pool_code(c.code)],
        )
        for c in seat_map.cabins
    )
    seats = tuple(MappedSeat(seat, pool_ids[seat.code]) for seat in sorted(seat_map.seats(), key=_seat_order))
    return ListingSeatMap(listing_id, cabins, seats)


def _seat_order(seat: Seat) -> tuple[int, str]:
    return (seat.row, seat.letter)
