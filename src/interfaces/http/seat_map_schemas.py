"""HTTP bodies of seat maps and seat holds (``routes/seat_maps.py``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from application.use_cases.get_seat_map import SeatMapView, SeatView
from application.use_cases.place_seat_hold import PlaceSeatHold
from domain.identity import Actor
from domain.inventory import PoolCounters
from domain.seat_maps import MAX_CABINS, MAX_ROW, MAX_SURCHARGE, Cabin, MappedCabin, SeatFeature, SeatMap
from interfaces.http.schemas import (
    Currency,
    CustomerRef,
    HoldOut,
    Input,
    TtlSeconds,
    _customer_of,
)
from interfaces.http.text import END, Line

CabinCode = Annotated[str, Meta(min_length=1, max_length=32, pattern=rf"^[a-z][a-z0-9_-]*{END}")]
Row = Annotated[int, Meta(ge=1, le=MAX_ROW)]
Surcharge = Annotated[int, Meta(ge=0, le=MAX_SURCHARGE)]
SeatCode = Annotated[str, Meta(min_length=2, max_length=4, pattern=rf"^[1-9][0-9]{{0,2}}[A-Z]{END}")]


class FeatureSurchargesIn(Input):
    window: Surcharge = 0
    aisle: Surcharge = 0
    exit_row: Surcharge = 0
    extra_legroom: Surcharge = 0

    def pairs(self) -> tuple[tuple[SeatFeature, int], ...]:
        return tuple((SeatFeature(k), v) for k, v in msgspec.structs.asdict(self).items() if v)


class RowSurchargeIn(Input):
    row: Row
    amount: Surcharge


class CabinIn(Input):
    code: CabinCode
    name: Annotated[Line, Meta(min_length=1, max_length=100)]
    first_row: Row
    last_row: Row
    letters: Annotated[str, Meta(min_length=1, max_length=32, pattern=rf"^[A-Z]+( [A-Z]+)*{END}")]
    price: Surcharge
    exit_rows: Annotated[list[Row], Meta(max_length=MAX_ROW)] = []
    extra_legroom_rows: Annotated[list[Row], Meta(max_length=MAX_ROW)] = []
    surcharges: FeatureSurchargesIn | None = None
    row_surcharges: Annotated[list[RowSurchargeIn], Meta(max_length=MAX_ROW)] = []

    def cabin(self) -> Cabin:
        return Cabin(
            self.code,
            self.name,
            self.first_row,
            self.last_row,
            self.letters,
            self.price,
            tuple(self.exit_rows),
            tuple(self.extra_legroom_rows),
            self.surcharges.pairs() if self.surcharges else (),
            tuple((r.row, r.amount) for r in self.row_surcharges),
        )


class SeatMapIn(Input):
    currency: Currency
    cabins: Annotated[list[CabinIn], Meta(min_length=1, max_length=MAX_CABINS)]

    def seat_map(self) -> SeatMap:
        return SeatMap(tuple(cabin.cabin() for cabin in self.cabins), self.currency)


class PreferencesIn(Input):
    """True: wanted; False: avoided; left out: no matter."""

    window: bool | None = None
    aisle: bool | None = None
    exit_row: bool | None = None
    extra_legroom: bool | None = None

    def pairs(self) -> tuple[tuple[SeatFeature, bool], ...]:
        return tuple((SeatFeature(k), v) for k, v in msgspec.structs.asdict(self).items() if v is not None)


class SeatHoldIn(Input):
    """``seat`` (a named seat; a ``cabin`` beside it must be the seat's), or ``cabin`` alone (any
    seat of it, ``preferences`` ranking them)."""

    seat: SeatCode | None = None
    cabin: CabinCode | None = None
    preferences: PreferencesIn | None = None
    customer_ref: CustomerRef | None = None
    id: UUID | None = None
    ttl_seconds: TtlSeconds | None = None

    def command(self, actor: Actor, listing_id: UUID, queue_pass: str | None) -> PlaceSeatHold:
        customer = _customer_of(actor, self.customer_ref)
        preferences = self.preferences.pairs() if self.preferences else ()
        return PlaceSeatHold(
            actor.tenant.id,
            listing_id,
            customer,
            self.seat,
            self.cabin,
            preferences,
            self.id,
            self.ttl_seconds,
            actor.subject,
            queue_pass,
        )


class SeatHoldOut(HoldOut):
    seat: str
    cabin: str


class SeatOut(msgspec.Struct):
    code: str
    row: int
    letter: str
    features: list[str]
    state: str  # free, held, sold (or closed: its pool resized to 0)
    price: int
    pool_id: UUID

    @classmethod
    def of(cls, view: SeatView) -> SeatOut:
        seat = view.mapped.seat
        features = sorted(feature.value for feature in seat.features)
        return cls(seat.code, seat.row, seat.letter, features, view.state.value, view.price, view.mapped.pool_id)


class RowOut(msgspec.Struct):
    row: int
    seats: list[SeatOut | None]  # in the cabin's letters; None stands for an aisle


class CabinOut(msgspec.Struct):
    code: str
    name: str
    letters: str
    price: int
    pool_id: UUID
    capacity: int
    held: int
    sold: int
    available: int
    rows: list[RowOut]

    @classmethod
    def of(cls, cabin: MappedCabin, counters: PoolCounters, price: int, seats: list[SeatView]) -> CabinOut:
        by_code = {view.mapped.seat.code: view for view in seats}
        rows = [
            RowOut(row, [None if c == " " else SeatOut.of(by_code[f"{row}{c}"]) for c in cabin.letters])
            for row in range(cabin.first_row, cabin.last_row + 1)
        ]
        held, sold = counters.held, counters.sold
        capacity, available = counters.capacity, counters.available
        return cls(cabin.code, cabin.name, cabin.letters, price, cabin.pool_id, capacity, held, sold, available, rows)


class SeatMapOut(msgspec.Struct):
    listing_id: UUID
    currency: str
    cabins: list[CabinOut]

    @classmethod
    def of(cls, view: SeatMapView) -> SeatMapOut:
        seat_map = view.seat_map
        cabins = [
            CabinOut.of(
                cabin,
                view.cabins[cabin.code],
                view.cabin_prices[cabin.code],
                [seat for seat in view.seats if seat.mapped.seat.cabin == cabin.code],
            )
            for cabin in seat_map.cabins
        ]
        currency = seat_map.cabins[0].currency
        return cls(seat_map.listing_id, currency, cabins)
