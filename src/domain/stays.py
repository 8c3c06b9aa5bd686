"""Stays: a property's room types, the rules a stay must keep, and owner blocks.

A room type sells one night pool per night (``Pool.night``, ``Pool.room_type_id``); the
inventory engine alone counts units. What is checked here is everything else: a stay's length,
its check-in and check-out weekdays, and whether its nights are blocked by the owner, so that a
stay broken by a rule is refused before any unit is asked for. Pure: no I/O, no clock (``today``
is passed in).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.errors import ConflictError, DomainError, InvalidValueError
from domain.inventory import MAX_LINES
from domain.listings import MAX_CAPACITY, Listing, ListingKind
from domain.money import Money

# A stay hold is one hold: its nights plus its buffer nights are its lines, at most MAX_LINES.
MAX_STAY_NIGHTS = MAX_LINES
MAX_CALENDAR_NIGHTS = 366  # one calendar or one block covers at most this many nights
MAX_HORIZON_DAYS = 1100  # HOLDFAST_STAY_HORIZON_DAYS is at most about three years
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
EVERY_DAY = frozenset(range(7))
ROOM_CODE_LENGTH = 52  # a night pool's code is "<room code>-YYYY-MM-DD", at most 64 characters


class NotAStayPropertyError(ConflictError):
    """Room types, stay rules, blocks, stay holds and calendars exist only on ``stay_property``
    listings."""

    code = "not_a_stay_property"

    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"listing {listing_id} is not a stay_property")


class StayRuleError(DomainError):
    """A stay breaks one of the property's rules (the code names which); nothing was held."""

    code = "stay_rule_broken"


class StayInPastError(StayRuleError):
    code = "stay_in_past"

    def __init__(self, check_in: date, today: date) -> None:
        super().__init__(f"check-in {check_in} is before today ({today})")


class StayTooShortError(StayRuleError):
    code = "stay_too_short"

    def __init__(self, nights: int, minimum: int) -> None:
        super().__init__(f"a stay is at least {minimum} nights here, not {nights}")
        self.minimum = minimum


class StayTooLongError(StayRuleError):
    code = "stay_too_long"

    def __init__(self, nights: int, maximum: int) -> None:
        super().__init__(f"a stay is at most {maximum} nights here, not {nights}")
        self.maximum = maximum


class CheckInDayNotAllowedError(StayRuleError):
    code = "check_in_day_not_allowed"

    def __init__(self, day: date, allowed: frozenset[int]) -> None:
        super().__init__(f"no check-in on {WEEKDAYS[day.weekday()]} {day}; allowed: {weekday_names(allowed)}")


class CheckOutDayNotAllowedError(StayRuleError):
    code = "check_out_day_not_allowed"

    def __init__(self, day: date, allowed: frozenset[int]) -> None:
        super().__init__(f"no check-out on {WEEKDAYS[day.weekday()]} {day}; allowed: {weekday_names(allowed)}")


class NightsBlockedError(ConflictError):
    """Every unit of the room type is blocked by the owner on some of the stay's nights."""

    code = "nights_blocked"

    def __init__(self, nights: Iterable[date]) -> None:
        self.nights = sorted(nights)
        super().__init__("blocked by the owner: " + ", ".join(map(str, self.nights)))


class NightsNotOnSaleError(ConflictError):
    """Some nights have no night pool: beyond the sales horizon (``HOLDFAST_STAY_HORIZON_DAYS``)
    or before the room type was made."""

    code = "nights_not_on_sale"

    def __init__(self, nights: Iterable[date]) -> None:
        self.nights = sorted(nights)
        shown = ", ".join(map(str, self.nights[:10])) + (" ..." if len(self.nights) > 10 else "")
        super().__init__(f"not on sale: {shown}")


class BlockUnitsTakenError(ConflictError):
    """A block would take units that are held or sold on some nights: nothing was blocked."""

    code = "block_units_taken"

    def __init__(self, nights: Iterable[date]) -> None:
        self.nights = sorted(nights)
        super().__init__("units held or sold on: " + ", ".join(map(str, self.nights)))


class BlockExceedsUnitsError(ConflictError):
    """A block asks for more units than the room type still has unblocked on some nights."""

    code = "block_exceeds_units"

    def __init__(self, nights: Iterable[date]) -> None:
        self.nights = sorted(nights)
        super().__init__("not that many unblocked units on: " + ", ".join(map(str, self.nights)))


def weekday_names(days: Collection[int]) -> list[str]:
    return [WEEKDAYS[day] for day in sorted(days)]


def weekdays_of(names: Iterable[str]) -> frozenset[int]:
    found = set()
    for name in names:
        if name not in WEEKDAYS:
            raise InvalidValueError("weekdays", f"{name!r} is not one of {', '.join(WEEKDAYS)}")
        found.add(WEEKDAYS.index(name))
    return frozenset(found)


def require_stay_property(listing: Listing) -> None:
    if listing.kind is not ListingKind.STAY_PROPERTY:
        raise NotAStayPropertyError(listing.id)


def nights_between(start: date, end: date) -> list[date]:
    """The nights [start, end): a night is the date it begins."""
    return [start + timedelta(days=n) for n in range((end - start).days)]


def night_code(room_code: str, night: date) -> str:
    """The code of a room type's night pool (unique in the listing, as pool codes are)."""
    return f"{room_code}-{night.isoformat()}"


@dataclass(slots=True)
class RoomType:
    """A kind of room of a property: ``units`` rooms a night at ``base_price`` a night.

    Its nights are pools of the listing, made for a rolling horizon; the room type is what they
    have in common (and what rules and blocks name).
    """

    id: UUID
    tenant_id: UUID
    listing_id: UUID
    code: str
    name: str
    units: int
    base_price: Money
    created_at: datetime

    def __post_init__(self) -> None:
        if not self.code.strip() or len(self.code) > ROOM_CODE_LENGTH:
            raise InvalidValueError("code", f"must be 1 to {ROOM_CODE_LENGTH} characters")
        if not self.name.strip() or len(self.name) > 200:
            raise InvalidValueError("name", "must be 1 to 200 characters")
        if isinstance(self.units, bool) or not 1 <= self.units <= MAX_CAPACITY:
            raise InvalidValueError("units", f"must be between 1 and {MAX_CAPACITY}")
        if self.base_price.amount < 0:
            raise InvalidValueError("base_price", "cannot be negative")


@dataclass(frozen=True, slots=True)
class Stay:
    """Check in on ``check_in``, leave on ``check_out``: the nights [check_in, check_out)."""

    check_in: date
    check_out: date

    def __post_init__(self) -> None:
        if self.check_out <= self.check_in:
            raise InvalidValueError("check_out", "must be after check_in")
        if self.nights > MAX_STAY_NIGHTS:
            raise InvalidValueError("check_out", f"a stay is at most {MAX_STAY_NIGHTS} nights")

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def night_dates(self) -> list[date]:
        return nights_between(self.check_in, self.check_out)


@dataclass(frozen=True, slots=True)
class StayRules:
    """What a stay must keep. A room type's own rules replace the property's whole (no field by
    field merge: one record says what applies); with neither, these defaults (any stay of 1 to
    30 nights, any weekday, no buffer).

    * ``min_nights`` <= nights <= ``max_nights``;
    * check-in on a weekday in ``check_in_days``, check-out on one in ``check_out_days``
      (0 = Monday, as ``date.weekday()``);
    * ``buffer_days``: the nights right after a stay are held with it (at price 0), so the room
      is free for turnover; nights + buffer <= ``MAX_STAY_NIGHTS`` (one hold's lines).
    """

    min_nights: int = 1
    max_nights: int = 30
    buffer_days: int = 0
    check_in_days: frozenset[int] = EVERY_DAY
    check_out_days: frozenset[int] = EVERY_DAY

    def __post_init__(self) -> None:
        if not 1 <= self.min_nights <= self.max_nights:
            raise InvalidValueError("min_nights", "must be at least 1 and at most max_nights")
        if not 0 <= self.buffer_days <= 7:
            raise InvalidValueError("buffer_days", "must be between 0 and 7")
        if self.max_nights + self.buffer_days > MAX_STAY_NIGHTS:
            raise InvalidValueError("max_nights", f"max_nights + buffer_days must be at most {MAX_STAY_NIGHTS}")
        for name in ("check_in_days", "check_out_days"):
            days = getattr(self, name)
            if not days or not days <= EVERY_DAY:
                raise InvalidValueError(name, "must name at least one weekday")

    def check(self, stay: Stay, today: date) -> None:
        """Raises the ``StayRuleError`` of the first rule ``stay`` breaks, in a stated order:
        past, too short, too long, check-in day, check-out day."""
        if stay.check_in < today:
            raise StayInPastError(stay.check_in, today)
        if stay.nights < self.min_nights:
            raise StayTooShortError(stay.nights, self.min_nights)
        if stay.nights > self.max_nights:
            raise StayTooLongError(stay.nights, self.max_nights)
        if stay.check_in.weekday() not in self.check_in_days:
            raise CheckInDayNotAllowedError(stay.check_in, self.check_in_days)
        if stay.check_out.weekday() not in self.check_out_days:
            raise CheckOutDayNotAllowedError(stay.check_out, self.check_out_days)

    def held_nights(self, stay: Stay) -> tuple[list[date], list[date]]:
        """(the stay's nights, its buffer nights): the nights a stay hold reserves."""
        after = nights_between(stay.check_out, stay.check_out + timedelta(days=self.buffer_days))
        return stay.night_dates(), after

    def may_check_in(self, day: date) -> bool:
        return day.weekday() in self.check_in_days

    def may_check_out(self, day: date) -> bool:
        return day.weekday() in self.check_out_days


def rules_for(room_type_id: UUID, rules: dict[UUID | None, StayRules]) -> StayRules:
    """The rules a room type's stays keep: its own, else the property's (key None), else defaults."""
    return rules.get(room_type_id) or rules.get(None) or StayRules()


@dataclass(frozen=True, slots=True)
class StayBlock:
    """The owner takes ``units`` rooms of a room type off sale for the nights [start, end).

    Not a hold: nobody is charged, nothing expires. It lowers the nights' pool capacities, so
    the engine (the only counter of units) sells fewer; lifting it gives them back.
    """

    id: UUID
    tenant_id: UUID
    listing_id: UUID
    room_type_id: UUID
    start: date
    end: date
    units: int
    reason: str
    created_at: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidValueError("end", "must be after start")
        if (self.end - self.start).days > MAX_CALENDAR_NIGHTS:
            raise InvalidValueError("end", f"a block covers at most {MAX_CALENDAR_NIGHTS} nights")
        if isinstance(self.units, bool) or not 1 <= self.units <= MAX_CAPACITY:
            raise InvalidValueError("units", f"must be between 1 and {MAX_CAPACITY}")
        if len(self.reason) > 200:
            raise InvalidValueError("reason", "must be at most 200 characters")

    def covers(self, night: date) -> bool:
        return self.start <= night < self.end


def blocked_units(blocks: Iterable[StayBlock], night: date) -> int:
    return sum(block.units for block in blocks if block.covers(night))


def check_not_blocked(nights: Iterable[date], blocks: Collection[StayBlock], units: int) -> None:
    """Refuses a stay with a night on which the owner blocked every unit (``NightsBlockedError``);
    a night partly blocked is the engine's to count."""
    shut = [night for night in nights if blocked_units(blocks, night) >= units]
    if shut:
        raise NightsBlockedError(shut)
