"""HTTP bodies of stays: room types, stay rules, blocks, stay holds and the calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from application.use_cases.stays.calendar import CalendarNight, RoomCalendar
from application.use_cases.stays.place_stay_hold import PlaceStayHold
from application.use_cases.stays.rules import PropertyRules
from domain.identity import Actor
from domain.listings import MAX_CAPACITY
from domain.stays import MAX_STAY_NIGHTS, ROOM_CODE_LENGTH, RoomType, StayBlock, StayRules, weekday_names, weekdays_of
from interfaces.http.schemas import Amount, Code, Currency, CustomerRef, Input, MoneyOut, Name, Quantity, _customer_of
from interfaces.http.text import END, Line

CODE_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._:-]*{END}"  # as a pool's code (schemas.Code)
RoomCode = Annotated[str, Meta(min_length=1, max_length=ROOM_CODE_LENGTH, pattern=CODE_PATTERN)]
Units = Annotated[int, Meta(ge=1, le=MAX_CAPACITY)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekdays = Annotated[list[Weekday], Meta(min_length=1, max_length=7)]
Nights = Annotated[int, Meta(ge=1, le=MAX_STAY_NIGHTS)]
EVERY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class RoomTypeIn(Input):
    code: RoomCode
    name: Name
    units: Units  # rooms of this type: each night pool's capacity
    base_price: Amount  # a night, minor units
    currency: Currency


class RoomTypeOut(msgspec.Struct):
    id: UUID
    listing_id: UUID
    code: str
    name: str
    units: int
    base_price: MoneyOut
    created_at: datetime
    nights_made: int | None = None  # on creation: the night pools made for the horizon

    @classmethod
    def of(cls, room: RoomType, nights_made: int | None = None) -> RoomTypeOut:
        price = MoneyOut(room.base_price.amount, room.base_price.currency)
        return cls(room.id, room.listing_id, room.code, room.name, room.units, price, room.created_at, nights_made)


class RoomTypeList(msgspec.Struct):
    items: list[RoomTypeOut]


class StayRulesIn(Input):
    """A whole set of rules (fields left out take their defaults, not their old values)."""

    room_type: Code | None = None  # a room type's code: its own rules; left out: the property's
    min_nights: Nights = 1
    max_nights: Nights = 30
    buffer_days: Annotated[int, Meta(ge=0, le=7)] = 0
    check_in_days: Weekdays = msgspec.field(default_factory=lambda: list(EVERY))
    check_out_days: Weekdays = msgspec.field(default_factory=lambda: list(EVERY))

    def rules(self) -> StayRules:
        return StayRules(
            self.min_nights,
            self.max_nights,
            self.buffer_days,
            weekdays_of(self.check_in_days),
            weekdays_of(self.check_out_days),
        )


class StayRulesOut(msgspec.Struct):
    min_nights: int
    max_nights: int
    buffer_days: int
    check_in_days: list[str]
    check_out_days: list[str]

    @classmethod
    def of(cls, rules: StayRules) -> StayRulesOut:
        days_in, days_out = weekday_names(rules.check_in_days), weekday_names(rules.check_out_days)
        return cls(rules.min_nights, rules.max_nights, rules.buffer_days, days_in, days_out)


class PropertyRulesOut(msgspec.Struct):
    property: StayRulesOut  # the property's (the defaults when never set)
    property_set: bool  # whether the property's rules were ever set
    room_types: dict[str, StayRulesOut]  # room types with rules of their own, by code

    @classmethod
    def of(cls, found: PropertyRules) -> PropertyRulesOut:
        own = {code: StayRulesOut.of(rules) for code, rules in found.room_types.items()}
        return cls(StayRulesOut.of(found.property or StayRules()), found.property is not None, own)


class BlockIn(Input):
    room_type: Code
    start: date  # the first night blocked
    end: date  # the first night not blocked
    units: Units | None = None  # left out: every unit of the room type
    reason: Annotated[Line, Meta(max_length=200)] = ""


class BlockOut(msgspec.Struct):
    id: UUID
    listing_id: UUID
    room_type_id: UUID
    start: date
    end: date
    units: int
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, block: StayBlock) -> BlockOut:
        return cls(
            block.id,
            block.listing_id,
            block.room_type_id,
            block.start,
            block.end,
            block.units,
            block.reason,
            block.created_at,
        )


class BlockList(msgspec.Struct):
    items: list[BlockOut]


class StayHoldIn(Input):
    room_type: Code
    check_in: date
    check_out: date
    quantity: Quantity = 1
    # As POST /v1/holds: required from staff and API keys; a signed-in customer's is their own.
    customer_ref: CustomerRef | None = None
    id: UUID | None = None  # the hold's id, for a safe retry

    def command(self, actor: Actor, listing_id: UUID, queue_pass: str | None) -> PlaceStayHold:
        customer = _customer_of(actor, self.customer_ref)
        return PlaceStayHold(
            actor.tenant.id,
            listing_id,
            self.room_type,
            self.check_in,
            self.check_out,
            self.quantity,
            customer,
            self.id,
            actor.subject,
            queue_pass,
        )


class CalendarNightOut(msgspec.Struct):
    night: date
    on_sale: bool
    available: int
    price: int | None
    blocked: int
    check_in: bool
    check_out: bool

    @classmethod
    def of(cls, night: CalendarNight) -> CalendarNightOut:
        return cls(
            night.night, night.on_sale, night.available, night.price, night.blocked, night.check_in, night.check_out
        )


class RoomCalendarOut(msgspec.Struct):
    room_type: str
    currency: str
    nights: list[CalendarNightOut]

    @classmethod
    def of(cls, found: RoomCalendar) -> RoomCalendarOut:
        nights = [CalendarNightOut.of(night) for night in found.nights]
        return cls(found.room_type.code, found.room_type.base_price.currency, nights)


class CalendarOut(msgspec.Struct):
    listing_id: UUID
    start: date
    end: date
    room_types: list[RoomCalendarOut]
