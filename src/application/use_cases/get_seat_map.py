"""Read a flight's seat map with each seat's state and price."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from domain.errors import NotFoundError
from domain.inventory import PoolCounters
from domain.listings import Pool
from domain.seat_maps import ListingSeatMap, MappedSeat


class SeatState(enum.StrEnum):
    FREE = "free"
    HELD = "held"
    SOLD = "sold"
    CLOSED = "closed"  # its pool has no capacity (an operator resized it to 0)


@dataclass(frozen=True, slots=True)
class SeatView:
    mapped: MappedSeat
    state: SeatState
    price: int  # the cabin's price plus the seat's surcharge


@dataclass(frozen=True, slots=True)
class SeatMapView:
    seat_map: ListingSeatMap
    seats: tuple[SeatView, ...]
    cabins: dict[str, PoolCounters]  # by cabin code
    cabin_prices: dict[str, int]  # by cabin code: what its count pool sells a unit at


class GetSeatMapHandler:
    """The map as stored, each seat's state read from the engine's counters of its pool (one
    counters call for the whole map: cabins and seats), prices as the cabins' and seats' pools
    sell them. A listing without a map is ``NotFoundError``; a map whose counters the engine
    lost is ``InventoryUnavailableError`` (``counted``), never a guess."""

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> SeatMapView:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            seat_map = await uow.seat_maps.get(listing.id)
            pools = {pool.id: pool for pool in await uow.pools.for_listing(tenant_id, listing.id)}
        if seat_map is None:
            raise NotFoundError("seat map", listing_id)
        found = await counted(self._engine, [pools[pool_id] for pool_id in seat_map.pool_ids()])
        cabins = {cabin.code: found[cabin.pool_id] for cabin in seat_map.cabins}
        prices = {cabin.code: pools[cabin.pool_id].unit_price.amount for cabin in seat_map.cabins}
        seats = tuple(_view(mapped, found[mapped.pool_id], pools[mapped.pool_id], prices) for mapped in seat_map.seats)
        return SeatMapView(seat_map, seats, cabins, prices)


def _view(mapped: MappedSeat, counters: PoolCounters, pool: Pool, cabin_prices: dict[str, int]) -> SeatView:
    price = cabin_prices[mapped.seat.cabin] + pool.unit_price.amount
    return SeatView(mapped, _state(counters), price)


def _state(counters: PoolCounters) -> SeatState:
    if counters.sold:
        return SeatState.SOLD
    if counters.held:
        return SeatState.HELD
    return SeatState.FREE if counters.capacity else SeatState.CLOSED
