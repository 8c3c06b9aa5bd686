"""HTTP bodies of the catalogue: a listing's ``details`` (their fields follow the listing's kind),
and what ``PATCH`` changes on listings and pools."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from domain.listing_details import MAX_PERFORMANCES, EventDetails, FlightDetails, ListingDetails, StayDetails
from interfaces.http.text import END, Line

ShortText = Annotated[Line, Meta(min_length=1, max_length=200)]
Iata = Annotated[str, Meta(pattern=rf"^[A-Z]{{3}}{END}", description="IATA airport code, e.g. LIS")]
FlightNumber = Annotated[str, Meta(pattern=rf"^[A-Z0-9]{{2}}[0-9]{{1,4}}[A-Z]?{END}", description="e.g. HF101")]
ClockTime = Annotated[
    str, Meta(pattern=rf"^([01][0-9]|2[0-3]):[0-5][0-9]{END}", description="local time of day, HH:MM")
]
Zone = Annotated[Line, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Lisbon")]


class PerformanceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[Line, Meta(min_length=1, max_length=64)]
    name: ShortText
    starts_at: datetime
    ends_at: datetime


class DetailsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """What the listing says about itself; which fields belong depends on its ``kind`` (a field
    of another kind, or a missing required one, is a 400 ``validation_failed`` naming it):

    * ``event_show``: ``venue`` (required), ``performances`` (each a code, name, start and end);
    * ``flight``: ``origin``, ``destination``, ``flight_number``, ``departs_at``, ``arrives_at``
      (all required), ``aircraft``;
    * ``stay_property``: ``address``, ``check_in``, ``check_out``, ``time_zone`` (all required).

    Zones, seats and nights are the listing's pools, not details."""

    venue: ShortText | None = None
    performances: Annotated[list[PerformanceIn], Meta(max_length=MAX_PERFORMANCES)] | None = None
    origin: Iata | None = None
    destination: Iata | None = None
    flight_number: FlightNumber | None = None
    departs_at: datetime | None = None
    arrives_at: datetime | None = None
    aircraft: Annotated[Line, Meta(max_length=200)] | None = None
    address: Annotated[Line, Meta(min_length=1, max_length=500)] | None = None
    check_in: ClockTime | None = None
    check_out: ClockTime | None = None
    time_zone: Zone | None = None

    def fields(self) -> dict[str, Any]:
        """The fields given, as ``domain.listing_details.details_of`` takes them."""
        given = {name: value for name, value in msgspec.structs.asdict(self).items() if value is not None}
        if "performances" in given:
            given["performances"] = [msgspec.structs.asdict(p) for p in given["performances"]]
        return given


class PerformanceOut(msgspec.Struct):
    code: str
    name: str
    starts_at: datetime
    ends_at: datetime


class DetailsOut(msgspec.Struct, omit_defaults=True):
    """The listing's details: the fields of its kind (see ``DetailsIn``)."""

    venue: str | None = None
    performances: list[PerformanceOut] | None = None
    origin: str | None = None
    destination: str | None = None
    flight_number: str | None = None
    departs_at: datetime | None = None
    arrives_at: datetime | None = None
    aircraft: str | None = None
    address: str | None = None
    check_in: str | None = None
    check_out: str | None = None
    time_zone: str | None = None

    @classmethod
    def of(cls, details: ListingDetails | None) -> DetailsOut | None:
        if isinstance(details, EventDetails):
            shows = [PerformanceOut(p.code, p.name, p.starts_at, p.ends_at) for p in details.performances]
            return cls(venue=details.venue, performances=shows)
        if isinstance(details, FlightDetails):
            return cls(
                origin=details.origin,
                destination=details.destination,
                flight_number=details.flight_number,
                departs_at=details.departs_at,
                arrives_at=details.arrives_at,
                aircraft=details.aircraft,
            )
        if isinstance(details, StayDetails):
            check_in, check_out = details.check_in.strftime("%H:%M"), details.check_out.strftime("%H:%M")
            return cls(address=details.address, check_in=check_in, check_out=check_out, time_zone=details.time_zone)
        return None
