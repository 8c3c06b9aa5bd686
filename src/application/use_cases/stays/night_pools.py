"""A room type's night pools: made for the nights of the sales horizon, counted by the engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWork
from application.use_cases.inventory_state import counted
from domain.errors import InvalidValueError
from domain.inventory import PoolCounters
from domain.listings import Pool, TooManyPoolsError
from domain.stays import RoomType, night_code, nights_between


def horizon(today: date, days: int) -> tuple[date, date]:
    """The nights on sale: [today, today + days)."""
    return today, today + timedelta(days=days)


async def add_nights(
    uow: UnitOfWork,
    engine: InventoryEngine,
    ids: IdGenerator,
    now: datetime,
    room_type: RoomType,
    nights: list[date],
    max_pools: int,
    *,
    cut_short: bool = False,
) -> list[Pool]:
    """Adds a night pool of ``room_type`` for each of ``nights`` (which must have none yet), at
    the room type's units and base price, in the unit of work, and has the engine count them.

    A listing has at most ``max_pools`` pools, past nights included: beyond it the nights are
    refused (``TooManyPoolsError``) or, ``cut_short``, only the earliest that fit are made. The
    caller holds the listing's row lock, so two callers never both pass that check. The
    listing's other pools must be counted by the engine: while their counters are lost, new
    ones would make the loss look whole (as ``CreatePoolHandler`` refuses too).
    """
    siblings = await uow.pools.for_listing(room_type.tenant_id, room_type.listing_id)
    if any(pool.unit_price.currency != room_type.base_price.currency for pool in siblings):
        raise InvalidValueError("currency", "all pools of a listing must use one currency")
    if len(siblings) + len(nights) > max_pools:
        if not cut_short:
            raise TooManyPoolsError(max_pools)
        nights = nights[: max(0, max_pools - len(siblings))]
    if siblings:
        await counted(engine, siblings)
    made = [_night_pool(ids, now, room_type, night) for night in nights]
    await uow.stays.add_night_pools(made)
    for pool in made:
        await engine.add_pool(PoolCounters(pool.id, pool.listing_id, pool.sellable))
    return made


def _night_pool(ids: IdGenerator, now: datetime, room_type: RoomType, night: date) -> Pool:
    return Pool(
        id=ids.new_id(),
        tenant_id=room_type.tenant_id,
        listing_id=room_type.listing_id,
        code=night_code(room_type.code, night),
        name=f"{room_type.name}, night of {night.isoformat()}",
        capacity=room_type.units,
        unit_price=room_type.base_price,
        created_at=now,
        night=night,
        room_type_id=room_type.id,
    )


def missing_nights(last: date | None, start: date, end: date) -> list[date]:
    """The nights of [start, end) after ``last`` (the latest night that has a pool)."""
    if last is not None and last >= start:
        start = last + timedelta(days=1)
    return nights_between(start, end) if start < end else []
