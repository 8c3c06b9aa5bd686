"""The domain's rules for a listing's details, changes and archive (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.listing_details import (
    EventDetails,
    FlightDetails,
    Performance,
    StayDetails,
    details_of,
    details_to_json,
    search_text,
)
from domain.listings import Listing, ListingArchivedError, ListingKind, Pool, PoolArchivedError
from domain.money import Money

AT = datetime(2027, 5, 7, 20, tzinfo=UTC)
FLIGHT = {
    "origin": "LIS",
    "destination": "AMS",
    "flight_number": "HF101",
    "departs_at": "2027-05-07T07:00:00+00:00",
    "arrives_at": "2027-05-07T10:55:00+00:00",
    "aircraft": "A320neo",
}
STAY = {"address": "1 Harbour Row", "check_in": "15:00:00", "check_out": "11:00:00", "time_zone": "Europe/Lisbon"}
SHOW = {
    "venue": "Coliseu",
    "performances": [
        {
            "code": "fri",
            "name": "Friday",
            "starts_at": "2027-05-07T20:00:00+00:00",
            "ends_at": "2027-05-07T23:00:00+00:00",
        }
    ],
}


def _listing(kind: ListingKind = ListingKind.EVENT_SHOW, **extra: object) -> Listing:
    return Listing(uuid4(), uuid4(), kind, "The Show", AT, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "given"), [("flight", FLIGHT), ("stay_property", STAY), ("event_show", SHOW)])
def test_details_go_to_json_and_back_unchanged(kind: str, given: dict[str, object]) -> None:
    details = details_of(kind, given)
    assert details_to_json(details) == given
    assert details_of(kind, details_to_json(details)) == details


def test_typed_values_are_taken_as_they_are() -> None:
    stay = details_of("stay_property", {**STAY, "check_in": time(15), "check_out": time(11)})
    assert stay == StayDetails("1 Harbour Row", time(15), time(11), "Europe/Lisbon")


@pytest.mark.parametrize(
    ("kind", "given", "field"),
    [
        ("flight", {**FLIGHT, "venue": "x"}, "details.venue"),
        ("flight", {k: v for k, v in FLIGHT.items() if k != "origin"}, "details.origin"),
        ("flight", {**FLIGHT, "origin": "Lisbon"}, "details.origin"),
        ("flight", {**FLIGHT, "flight_number": "hf101"}, "details.flight_number"),
        ("flight", {**FLIGHT, "arrives_at": "2027-05-07T06:00:00+00:00"}, "details.arrives_at"),
        ("flight", {**FLIGHT, "departs_at": "2027-05-07T07:00:00"}, "details.departs_at"),
        ("flight", {**FLIGHT, "departs_at": "soon"}, "details.departs_at"),
        ("stay_property", {**STAY, "time_zone": "Europe/Atlantis"}, "details.time_zone"),
        ("stay_property", {**STAY, "time_zone": "../etc/passwd"}, "details.time_zone"),
        ("stay_property", {**STAY, "check_in": "25:00"}, "details.check_in"),
        ("stay_property", {**STAY, "address": " "}, "details.address"),
        ("event_show", {"venue": "v", "performances": "fri"}, "details.performances"),
        ("event_show", {"venue": "v", "performances": [{"code": "x"}]}, "details.performances[0].ends_at"),
        (
            "event_show",
            {"venue": "v", "performances": [{**SHOW["performances"][0], "seat": 1}]},
            "details.performances[0].seat",
        ),  # type: ignore[dict-item]
        ("event_show", {"venue": "v\u0000"}, "details.venue"),
    ],
)
def test_a_wrong_shape_names_the_field(kind: str, given: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        details_of(kind, given)
    assert raised.value.field == field


def test_a_listing_refuses_details_of_another_kind() -> None:
    flight = details_of("flight", FLIGHT)
    with pytest.raises(InvalidValueError) as raised:
        _listing(details=flight)
    assert raised.value.field == "details"


def test_a_show_starts_at_its_first_performance_and_a_flight_at_its_departure() -> None:
    later = Performance("sat", "Saturday", AT + timedelta(days=1), AT + timedelta(days=1, hours=2))
    first = Performance("fri", "Friday", AT, AT + timedelta(hours=2))
    assert EventDetails("v", (later, first)).starts_at == AT
    assert EventDetails("v").starts_at is None
    assert isinstance(details_of("flight", FLIGHT), FlightDetails)
    assert details_of("flight", FLIGHT).starts_at == datetime(2027, 5, 7, 7, tzinfo=UTC)


def test_search_text_holds_the_name_venue_route_and_flight_number_folded() -> None:
    text = search_text("Morning Flight", details_of("flight", FLIGHT))
    for word in ("morning flight", "lis", "ams", "lis-ams", "hf101"):
        assert word in text
    assert search_text("STRASSE", None) == "strasse"
    assert search_text("Straße", None) == "strasse"  # folded, not just lowered


def test_a_bad_change_changes_nothing_and_a_good_one_moves_the_version_once() -> None:
    listing = _listing()
    with pytest.raises(InvalidValueError):
        listing.change(name="New", hold_ttl_seconds=0)
    assert (listing.name, listing.hold_ttl_seconds, listing.version) == ("The Show", 600, 1)
    with pytest.raises(InvalidValueError):
        listing.change(kind=ListingKind.FLIGHT)
    listing.change(name="New", hold_ttl_seconds=60, details=EventDetails("Coliseu"))
    assert (listing.name, listing.hold_ttl_seconds, listing.version) == ("New", 60, 2)


def test_an_archived_listing_and_pool_take_no_new_holds_until_unarchived() -> None:
    listing = _listing()
    assert listing.archive(AT)
    assert not listing.archive(AT + timedelta(hours=1))  # archived already: the first instant stays
    assert listing.archived_at == AT
    with pytest.raises(ListingArchivedError):
        listing.require_open()
    assert listing.unarchive()
    listing.require_open()
    pool = Pool(uuid4(), listing.tenant_id, listing.id, "a", 5, Money(100, "EUR"), AT)
    assert pool.change(AT, archived=True)
    with pytest.raises(PoolArchivedError):
        pool.require_open()
    assert not pool.change(AT, archived=True, name=pool.name, unit_price=100)
    assert pool.version == 2


def test_a_pool_change_is_checked_whole_and_keeps_its_currency() -> None:
    pool = Pool(uuid4(), uuid4(), uuid4(), "a", 5, Money(100, "EUR"), AT)
    with pytest.raises(InvalidValueError):
        pool.change(AT, unit_price=200, capacity=-1)
    assert (pool.unit_price, pool.capacity, pool.version) == (Money(100, "EUR"), 5, 1)
    assert pool.change(AT, unit_price=200, capacity=6, name="Stalls")
    assert (pool.unit_price, pool.capacity, pool.name, pool.version) == (Money(200, "EUR"), 6, "Stalls", 2)


@given(
    minutes=st.integers(1, 60 * 24 * 30),
    zone=st.sampled_from(("UTC", "Europe/Lisbon", "America/New_York", "Asia/Kolkata")),
    hour=st.integers(0, 23),
)
def test_flights_and_stays_round_trip_through_json(minutes: int, zone: str, hour: int) -> None:
    flight = FlightDetails("LIS", "AMS", "HF1", AT, AT + timedelta(minutes=minutes))
    stay = StayDetails("a", time(hour), time((hour + 1) % 24), zone)
    assert details_of("flight", details_to_json(flight)) == flight
    assert details_of("stay_property", details_to_json(stay)) == stay
