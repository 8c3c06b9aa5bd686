"""What each kind of listing says about itself: a show's venue and performances, a flight's
route and times, a property's address, check-in/out times and time zone.

One ``details`` value per listing, whose type follows the listing's kind (``DETAILS_OF_KIND``).
Details describe; they never count units (zones, seats and nights stay pools, which the
engine counts). Values come from outside twice: from a request (already typed: datetimes,
times) and from storage (JSON: ISO strings); ``details_of`` takes either, and every problem is
an ``InvalidValueError`` naming the field as a client wrote it (``details.performances[1].ends_at``).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, time
from typing import Any

from domain.errors import InvalidValueError
from domain.text import check_line

MAX_PERFORMANCES = 500
MAX_TEXT = 200
IATA_PATTERN = re.compile(r"[A-Z]{3}")
# Airline designator (two letters/digits) + 1 to 4 digits + an optional suffix letter: "HF101", "U24567A".
FLIGHT_NUMBER_PATTERN = re.compile(r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?")
PREFIX = "details"


def _text(field: str, value: object, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        low = 1 if required else 0
        raise InvalidValueError(field, f"must be text of {low} to {limit} characters")
    return check_line(field, value)


def _moment(field: str, value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValueError(field, "must be a date and time (ISO 8601)") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValueError(field, "must be a date and time with a UTC offset")
    return value


def _clock_time(field: str, value: object) -> time:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            raise InvalidValueError(field, "must be a time of day like 15:00") from None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise InvalidValueError(field, "must be a local time of day like 15:00 (no offset)")
    return value


def _ordered(field: str, starts: datetime, ends: datetime) -> None:
    if ends <= starts:
        raise InvalidValueError(field, "must be after the start")


@dataclass(frozen=True, slots=True)
class Performance:
    """One performance of a show (a date of a tour, a matinee): its zones are the show's pools."""

    code: str
    name: str
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        _text("code", self.code, limit=64)
        _text("name", self.name)
        _ordered("ends_at", _moment("starts_at", self.starts_at), _moment("ends_at", self.ends_at))


@dataclass(frozen=True, slots=True)
class EventDetails:
    """A show: where it plays, and its performances (codes unique, in any order)."""

    venue: str
    performances: tuple[Performance, ...] = ()

    def __post_init__(self) -> None:
        _text("venue", self.venue)
        if len(self.performances) > MAX_PERFORMANCES:
            raise InvalidValueError("performances", f"at most {MAX_PERFORMANCES}")
        codes = [performance.code for performance in self.performances]
        if len(set(codes)) != len(codes):
            raise InvalidValueError("performances", "each code may appear once")

    @property
    def starts_at(self) -> datetime | None:
        return min((p.starts_at for p in self.performances), default=None)

    def search_words(self) -> tuple[str, ...]:
        return (self.venue,)


@dataclass(frozen=True, slots=True)
class FlightDetails:
    """A flight: its route (IATA airport codes), number, times and aircraft. Its seats are pools."""

    origin: str
    destination: str
    flight_number: str
    departs_at: datetime
    arrives_at: datetime
    aircraft: str = ""

    def __post_init__(self) -> None:
        for name in ("origin", "destination"):
            if not isinstance(getattr(self, name), str) or not IATA_PATTERN.fullmatch(getattr(self, name)):
                raise InvalidValueError(name, "must be a three-letter IATA airport code like LIS")
        if self.origin == self.destination:
            raise InvalidValueError("destination", "must differ from the origin")
        if not isinstance(self.flight_number, str) or not FLIGHT_NUMBER_PATTERN.fullmatch(self.flight_number):
            raise InvalidValueError("flight_number", "must be a flight number like HF101")
        _ordered("arrives_at", _moment("departs_at", self.departs_at), _moment("arrives_at", self.arrives_at))
        _text("aircraft", self.aircraft, required=False)

    @property
    def starts_at(self) -> datetime | None:
        return self.departs_at

    def search_words(self) -> tuple[str, ...]:
        return (self.origin, self.destination, f"{self.origin}-{self.destination}", self.flight_number)


@dataclass(frozen=True, slots=True)
class StayDetails:
    """A property: its address, the local times guests arrive from and leave by, and the IANA
    time zone those times (and its nights) are in."""

    address: str
    check_in: time
    check_out: time
    time_zone: str

    def __post_init__(self) -> None:
        _text("address", self.address, limit=500)
        _clock_time("check_in", self.check_in)
        _clock_time("check_out", self.check_out)
        if not isinstance(self.time_zone, str) or not _is_zone(self.time_zone):
            raise InvalidValueError("time_zone", "must be an IANA time zone like Europe/Lisbon")

    @property
    def starts_at(self) -> datetime | None:
        return None

    def search_words(self) -> tuple[str, ...]:
        return (self.address,)


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


ListingDetails = EventDetails | FlightDetails | StayDetails

# Which details each kind carries, by the kind's value (``ListingKind``).
DETAILS_OF_KIND: dict[str, type[EventDetails] | type[FlightDetails] | type[StayDetails]] = {
    "event_show": EventDetails,
    "flight": FlightDetails,
    "stay_property": StayDetails,
}


def check_details_kind(kind: str, details: ListingDetails | None) -> None:
    """``details`` fit a listing of ``kind`` (None always does: details are optional)."""
    expected = DETAILS_OF_KIND[kind]
    if details is not None and not isinstance(details, expected):
        raise InvalidValueError(PREFIX, f"a {kind} listing takes {expected.__name__}")


def details_of(kind: str, given: Mapping[str, Any]) -> ListingDetails:
    """The details of a ``kind`` listing from ``given`` (typed values or their ISO strings).

    A field another kind has, or none has, is refused by name, as is a missing one."""
    cls = DETAILS_OF_KIND[kind]
    known = {f.name: f for f in fields(cls)}
    for name in given:
        if name not in known:
            raise InvalidValueError(f"{PREFIX}.{name}", f"is not a detail of a {kind} listing")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name in given and given[name] is not None:
            values[name] = given[name]
        elif spec.default is MISSING and spec.default_factory is MISSING:
            raise InvalidValueError(f"{PREFIX}.{name}", f"is required for a {kind} listing")
    if cls is EventDetails and "performances" in values:
        values["performances"] = _performances(values["performances"])
    built: ListingDetails = _built(cls, values, PREFIX)
    return built


def _performances(given: object) -> tuple[Performance, ...]:
    if not isinstance(given, Sequence) or isinstance(given, str):
        raise InvalidValueError(f"{PREFIX}.performances", "must be a list")
    built = []
    for index, item in enumerate(given):
        where = f"{PREFIX}.performances[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidValueError(where, "must be an object")
        known = {f.name for f in fields(Performance)}
        unknown = sorted(set(item) - known)
        if unknown:
            raise InvalidValueError(f"{where}.{unknown[0]}", "is not a field of a performance")
        missing = sorted(known - {name for name, value in item.items() if value is not None})
        if missing:
            raise InvalidValueError(f"{where}.{missing[0]}", "is required")
        built.append(_built(Performance, dict(item), where))
    return tuple(built)


def _built(cls: Any, values: dict[str, Any], where: str) -> Any:
    """``cls(**values)`` with ISO strings parsed first, a problem named under ``where``."""
    for name in ("starts_at", "ends_at", "departs_at", "arrives_at"):
        if name in values:
            values[name] = _at(where, name, lambda v, n=name: _moment(n, v), values[name])
    for name in ("check_in", "check_out"):
        if name in values:
            values[name] = _at(where, name, lambda v, n=name: _clock_time(n, v), values[name])
    try:
        return cls(**values)
    except InvalidValueError as exc:
        raise InvalidValueError(f"{where}.{exc.field}", exc.message.split(": ", 1)[-1]) from None


def _at(where: str, name: str, parse: Any, value: object) -> Any:
    try:
        return parse(value)
    except InvalidValueError as exc:
        raise InvalidValueError(f"{where}.{name}", exc.message.split(": ", 1)[-1]) from None


def details_to_json(details: ListingDetails) -> dict[str, Any]:
    """The details as JSON values (ISO strings for times): what storage keeps and audit rows show."""
    out: dict[str, Any] = {}
    for spec in fields(details):
        value = getattr(details, spec.name)
        if isinstance(value, tuple):
            value = [details_to_json_item(item) for item in value]
        elif isinstance(value, datetime | time):
            value = value.isoformat()
        out[spec.name] = value
    return out


def details_to_json_item(performance: Performance) -> dict[str, Any]:
    return {
        "code": performance.code,
        "name": performance.name,
        "starts_at": performance.starts_at.isoformat(),
        "ends_at": performance.ends_at.isoformat(),
    }


def search_text(name: str, details: ListingDetails | None) -> str:
    """What ``q`` searches in, case-folded: the name, and the venue, route and flight number or
    address. Folded here (not by the database) so SQLite and Postgres match alike."""
    words = (name, *(() if details is None else details.search_words()))
    return "\n".join(words).casefold()


def sort_name(name: str) -> str:
    """What ``sort=name`` orders by: the name, case-folded (compared code point by code point)."""
    return name.casefold()
