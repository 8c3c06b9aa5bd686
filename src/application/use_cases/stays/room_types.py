"""Add a room type to a stay property (with its night pools), and list a property's room types."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.stays.night_pools import add_nights, horizon
from domain.money import Money
from domain.stays import RoomType, nights_between, require_stay_property
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class CreateRoomType:
    tenant_id: UUID
    listing_id: UUID
    code: str
    name: str
    units: int
    base_price: int
    currency: str

    def __post_init__(self) -> None:
        check_line("code", self.code)
        check_line("name", self.name)


@dataclass(frozen=True, slots=True)
class RoomTypeMade:
    room_type: RoomType
    nights: int  # night pools made: today to the end of the horizon


def room_type_summary(room_type: RoomType) -> dict[str, object]:
    """A room type as its audit rows show it."""
    price = room_type.base_price
    return {
        "listing_id": room_type.listing_id,
        "code": room_type.code,
        "units": room_type.units,
        "base_price": price.amount,
        "currency": price.currency,
    }


class CreateRoomTypeHandler:
    """Only a ``stay_property`` listing has room types (``NotAStayPropertyError``); codes are
    unique in the listing (``DuplicateError``). The room type comes with a night pool for each
    night of the horizon, [today, today + ``horizon_days``), each of ``units`` units at the base
    price, all made in the same unit of work under the listing's row lock; if the listing's pool
    limit cannot take them all, nothing is made (``TooManyPoolsError``). The daily
    ``extend_stay_horizon`` job keeps the horizon rolling.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        ids: IdGenerator,
        catalogue: CatalogueCache,
        horizon_days: int,
        max_pools: int,
    ) -> None:
        self._uow, self._engine, self._clock, self._ids = uow, engine, clock, ids
        self._catalogue, self._horizon_days, self._max_pools = catalogue, horizon_days, max_pools

    async def __call__(self, command: CreateRoomType) -> RoomTypeMade:
        now = self._clock.now()
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            require_stay_property(listing)
            room_type = RoomType(
                id=self._ids.new_id(),
                tenant_id=listing.tenant_id,
                listing_id=listing.id,
                code=command.code,
                name=command.name,
                units=command.units,
                base_price=Money(command.base_price, command.currency),
                created_at=now,
            )
            await uow.stays.add_room_type(room_type)
            nights = nights_between(*horizon(now.date(), self._horizon_days))
            made = await add_nights(uow, self._engine, self._ids, now, room_type, nights, self._max_pools)
            summary = {**room_type_summary(room_type), "nights": len(made)}
            await uow.audit.record("room_type.create", "room_type", room_type.id, after=summary)
            await uow.commit()
        await self._catalogue.changed_listing(listing.id)
        return RoomTypeMade(room_type, len(made))


class ListRoomTypesHandler:
    """A stay property's room types, oldest first (another kind of listing has none: 409)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> list[RoomType]:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(tenant_id, listing_id))
            return await uow.stays.room_types(tenant_id, listing_id)
