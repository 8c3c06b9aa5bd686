"""A flight's seat map: cabins of rows and lettered seats, each seat a capacity-1 pool and each
cabin a counted pool of its seats ("any seat in economy").

Prices: every seat of a cabin costs the cabin's price, plus its surcharge: the sum of the
surcharges of the seat's features and of its row. A seat hold takes one unit of the seat's pool
(priced at the surcharge) and one of its cabin's pool (priced at the cabin's price), so the
hold's total is the seat's price and the cabin's count always agrees with its seats.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from domain.errors import ConflictError, InvalidValueError, NotFoundError

MAX_CABINS = 10
MAX_ROW = 200
MAX_LETTERS = 12
MAX_SURCHARGE = 10_000_000
_CABIN_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_LETTERS = re.compile(r"^[A-Z]+( [A-Z]+)*$")  # a single space is an aisle


class SeatFeature(enum.StrEnum):
    WINDOW = "window"
    AISLE = "aisle"
    EXIT_ROW = "exit_row"
    EXTRA_LEGROOM = "extra_legroom"


class NotAFlightError(ConflictError):
    """Seat maps belong to flight listings only."""

    code = "not_a_flight"

    def __init__(self) -> None:
        super().__init__("only a flight listing has a seat map")


class SeatMapInUseError(ConflictError):
    """A seat map whose seats or cabins are held or sold cannot change: the holds and bookings
    name its pools."""

    code = "seat_map_in_use"

    def __init__(self) -> None:
        super().__init__("the seat map has held or sold seats and cannot change")


def cabin_pool_code(cabin: str) -> str:
    """The code of a cabin's count pool (seat pools are coded by seat: ``12A``)."""
    return f"cabin-{cabin}"


def _check_rows(field: str, rows: tuple[int, ...], first: int, last: int) -> None:
    if any(not first <= row <= last for row in rows):
        raise InvalidValueError(field, f"rows must be between {first} and {last}")


def _check_amount(field: str, amount: int) -> None:
    if isinstance(amount, bool) or not 0 <= amount <= MAX_SURCHARGE:
        raise InvalidValueError(field, f"must be between 0 and {MAX_SURCHARGE}")


@dataclass(frozen=True, slots=True)
class Seat:
    code: str  # row then letter: "12A"
    cabin: str
    row: int
    letter: str
    features: frozenset[SeatFeature]
    surcharge: int  # added to the cabin's price

    def matches(self, preferences: Mapping[SeatFeature, bool]) -> int:
        """How many of ``preferences`` (wanted True, or avoided False) this seat meets."""
        return sum((feature in self.features) is wanted for feature, wanted in preferences.items())


@dataclass(frozen=True, slots=True)
class Cabin:
    """Rows ``first_row``..``last_row``, each with the seats ``letters`` names ("ABC DEF": a
    space is an aisle; the outer letters are windows, those next to a space are aisles)."""

    code: str
    name: str
    first_row: int
    last_row: int
    letters: str
    price: int
    exit_rows: tuple[int, ...] = ()
    extra_legroom_rows: tuple[int, ...] = ()
    feature_surcharges: tuple[tuple[SeatFeature, int], ...] = ()
    row_surcharges: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not _CABIN_CODE.match(self.code):
            raise InvalidValueError("code", "a cabin code is 1 to 32 of a-z, 0-9, _ and -, starting with a letter")
        if not self.name.strip() or len(self.name) > 100:
            raise InvalidValueError("name", "must be 1 to 100 characters")
        if not 1 <= self.first_row <= self.last_row <= MAX_ROW:
            raise InvalidValueError("rows", f"need 1 <= first_row <= last_row <= {MAX_ROW}")
        seat_letters = self.letters.replace(" ", "")
        if not _LETTERS.match(self.letters) or len(set(seat_letters)) != len(seat_letters):
            raise InvalidValueError("letters", "distinct letters A-Z, aisles as single spaces (e.g. 'ABC DEF')")
        if len(seat_letters) > MAX_LETTERS:
            raise InvalidValueError("letters", f"at most {MAX_LETTERS} seats a row")
        _check_amount("price", self.price)
        _check_rows("exit_rows", self.exit_rows, self.first_row, self.last_row)
        _check_rows("extra_legroom_rows", self.extra_legroom_rows, self.first_row, self.last_row)
        _check_rows("row_surcharges", tuple(row for row, _ in self.row_surcharges), self.first_row, self.last_row)
        for _, amount in (*self.feature_surcharges, *self.row_surcharges):
            _check_amount("surcharge", amount)

    def seats(self) -> list[Seat]:
        by_row = dict(self.row_surcharges)
        return [
            self._seat(row, letter, by_row.get(row, 0))
            for row in range(self.first_row, self.last_row + 1)
            for letter in self.letters.replace(" ", "")
        ]

    def _seat(self, row: int, letter: str, row_surcharge: int) -> Seat:
        features = self._features(row, letter)
        surcharge = row_surcharge + sum(amount for feature, amount in self.feature_surcharges if feature in features)
        return Seat(f"{row}{letter}", self.code, row, letter, features, surcharge)

    def _features(self, row: int, letter: str) -> frozenset[SeatFeature]:
        at, layout = self.letters.index(letter), self.letters
        found = set()
        if at == 0 or at == len(layout) - 1:
            found.add(SeatFeature.WINDOW)
        if (at > 0 and layout[at - 1] == " ") or (at < len(layout) - 1 and layout[at + 1] == " "):
            found.add(SeatFeature.AISLE)
        if row in self.exit_rows:
            found.add(SeatFeature.EXIT_ROW)
        if row in self.extra_legroom_rows:
            found.add(SeatFeature.EXTRA_LEGROOM)
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class SeatMap:
    """What an owner sets: cabins whose rows do not overlap, so every seat code is unique."""

    cabins: tuple[Cabin, ...]
    currency: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.cabins) <= MAX_CABINS:
            raise InvalidValueError("cabins", f"must have 1 to {MAX_CABINS} cabins")
        if len({cabin.code for cabin in self.cabins}) != len(self.cabins):
            raise InvalidValueError("cabins", "cabin codes must be unique")
        rows = [row for cabin in self.cabins for row in range(cabin.first_row, cabin.last_row + 1)]
        if len(set(rows)) != len(rows):
            raise InvalidValueError("cabins", "cabins' rows must not overlap")

    def seats(self) -> list[Seat]:
        return [seat for cabin in self.cabins for seat in cabin.seats()]


@dataclass(frozen=True, slots=True)
class MappedCabin:
    """A cabin as stored: its layout, price and the pool that counts its seats."""

    code: str
    name: str
    first_row: int
    last_row: int
    letters: str
    price: int
    currency: str
    pool_id: UUID


@dataclass(frozen=True, slots=True)
class MappedSeat:
    seat: Seat
    pool_id: UUID


@dataclass(frozen=True, slots=True)
class ListingSeatMap:
    """A listing's seat map as stored, seats in row then letter order."""

    listing_id: UUID
    cabins: tuple[MappedCabin, ...]
    seats: tuple[MappedSeat, ...]

    def pool_ids(self) -> list[UUID]:
        return [cabin.pool_id for cabin in self.cabins] + [mapped.pool_id for mapped in self.seats]

    def cabin(self, code: str) -> MappedCabin:
        for cabin in self.cabins:
            if cabin.code == code:
                return cabin
        raise NotFoundError("cabin", code)

    def seat(self, code: str) -> MappedSeat:
        for mapped in self.seats:
            if mapped.seat.code == code:
                return mapped
        raise NotFoundError("seat", code)

    def choices(self, cabin: str, preferences: Mapping[SeatFeature, bool]) -> list[MappedSeat]:
        """The cabin's seats, best first: those meeting more of ``preferences``, then from the
        front row, then by letter (a stable order, so every caller tries seats alike)."""
        self.cabin(cabin)
        mine = [mapped for mapped in self.seats if mapped.seat.cabin == cabin]
        return sorted(mine, key=lambda m: (-m.seat.matches(preferences), m.seat.row, m.seat.letter))
