"""Set and read a stay property's rules (its own, or a room type's)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from domain.stays import RoomType, StayRules, require_stay_property, weekday_names


@dataclass(frozen=True, slots=True)
class SetStayRules:
    tenant_id: UUID
    listing_id: UUID
    rules: StayRules
    room_type: str | None = None  # a room type's code; None: the property's rules


@dataclass(frozen=True, slots=True)
class PropertyRules:
    property: StayRules | None  # None: never set (stays keep the defaults, ``StayRules()``)
    room_types: dict[str, StayRules]  # by room type code, those with rules of their own


def rules_summary(rules: StayRules) -> dict[str, object]:
    return {
        "min_nights": rules.min_nights,
        "max_nights": rules.max_nights,
        "buffer_days": rules.buffer_days,
        "check_in_days": weekday_names(rules.check_in_days),
        "check_out_days": weekday_names(rules.check_out_days),
    }


class SetStayRulesHandler:
    """A stay property's rules, or one room type's (which then replace the property's for that
    room type, whole). Stays held before keep their nights; the new rules apply to new holds."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: SetStayRules) -> PropertyRules:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(command.tenant_id, command.listing_id))
            room_type = await _room_type(uow, command.tenant_id, command.listing_id, command.room_type)
            scope = None if room_type is None else room_type.id
            await uow.stays.set_rules(command.listing_id, scope, command.rules, self._clock.now())
            what = {"room_type": command.room_type, **rules_summary(command.rules)}
            await uow.audit.record("stay_rules.set", "listing", command.listing_id, after=what)
            found = await _read(uow, command.tenant_id, command.listing_id)
            await uow.commit()
        return found


class GetStayRulesHandler:
    """The property's rules and each room type's own (another kind of listing: 409)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> PropertyRules:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(tenant_id, listing_id))
            return await _read(uow, tenant_id, listing_id)


async def _room_type(uow: UnitOfWork, tenant_id: UUID, listing_id: UUID, code: str | None) -> RoomType | None:
    return None if code is None else await uow.stays.room_type(tenant_id, listing_id, code)


async def _read(uow: UnitOfWork, tenant_id: UUID, listing_id: UUID) -> PropertyRules:
    rules = await uow.stays.rules(listing_id)
    codes = {room.id: room.code for room in await uow.stays.room_types(tenant_id, listing_id)}
    own = {codes[room_id]: found for room_id, found in rules.items() if room_id is not None and room_id in codes}
    return PropertyRules(rules.get(None), own)
