"""A stay property's calendar: night by night, what is left, at what price, and what the rules allow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from application.use_cases.stays.prices import night_price
from domain.errors import InvalidValueError
from domain.listings import Pool
from domain.stays import (
    MAX_CALENDAR_NIGHTS,
    RoomType,
    StayBlock,
    StayRules,
    blocked_units,
    nights_between,
    require_stay_property,
    rules_for,
)


@dataclass(frozen=True, slots=True)
class CalendarNight:
    night: date
    on_sale: bool  # a night pool exists (within the horizon)
    available: int  # units the engine would hold now
    price: int | None  # one unit, minor units (night_price); None off sale
    blocked: int  # units the owner blocked
    check_in: bool  # the rules allow arriving this day
    check_out: bool  # the rules allow leaving this day


@dataclass(frozen=True, slots=True)
class RoomCalendar:
    room_type: RoomType
    nights: list[CalendarNight]


class GetCalendarHandler:
    """Rules: [start, end) is at most ``MAX_CALENDAR_NIGHTS`` nights (else ``InvalidValueError``,
    400); ``room_type`` None means every room type of the property. Availability is the engine's,
    read now (it may change the next moment: only a hold reserves); prices come from
    ``night_price`` (the one price lookup); check-in and check-out follow the room type's rules
    (its own, else the property's) by weekday.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def __call__(
        self, tenant_id: UUID, listing_id: UUID, room_type: str | None, start: date, end: date
    ) -> list[RoomCalendar]:
        if end <= start or (end - start).days > MAX_CALENDAR_NIGHTS:
            raise InvalidValueError("to", f"must be after from, by at most {MAX_CALENDAR_NIGHTS} nights")
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(tenant_id, listing_id))
            if room_type is None:
                rooms = await uow.stays.room_types(tenant_id, listing_id)
            else:
                rooms = [await uow.stays.room_type(tenant_id, listing_id, room_type)]
            rules = await uow.stays.rules(listing_id)
            found = [
                (room, await uow.stays.night_pools(room.id, start, end), await uow.stays.blocks(room.id, start, end))
                for room in rooms
            ]
        return [
            await self._calendar(room, pools, blocks, rules_for(room.id, rules), start, end)
            for room, pools, blocks in found
        ]

    async def _calendar(
        self, room: RoomType, pools: list[Pool], blocks: list[StayBlock], rules: StayRules, start: date, end: date
    ) -> RoomCalendar:
        live = await counted(self._engine, pools) if pools else {}
        by_night = {pool.night: pool for pool in pools}
        nights = []
        for night in nights_between(start, end):
            pool = by_night.get(night)
            nights.append(
                CalendarNight(
                    night=night,
                    on_sale=pool is not None,
                    available=0 if pool is None else live[pool.id].available,
                    price=None if pool is None else night_price(pool),
                    blocked=blocked_units(blocks, night),
                    check_in=rules.may_check_in(night),
                    check_out=rules.may_check_out(night),
                )
            )
        return RoomCalendar(room, nights)
