"""Listings carry what their kind needs (``details``), shown on reads; a wrong shape for the
kind is a 400 naming the field and changes nothing. Both profiles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import World

SHOW = {
    "venue": "Coliseu dos Recreios",
    "performances": [
        {"code": "fri", "name": "Friday", "starts_at": "2027-05-07T20:00:00Z", "ends_at": "2027-05-07T23:00:00Z"},
        {"code": "sat", "name": "Saturday", "starts_at": "2027-05-08T20:00:00Z", "ends_at": "2027-05-08T23:00:00Z"},
    ],
}
FLIGHT = {
    "origin": "LIS",
    "destination": "AMS",
    "flight_number": "HF101",
    "departs_at": "2027-05-07T07:00:00Z",
    "arrives_at": "2027-05-07T10:55:00Z",
    "aircraft": "A320neo",
}
STAY = {"address": "1 Harbour Row, Porto", "check_in": "15:00", "check_out": "11:00", "time_zone": "Europe/Lisbon"}


async def _create(world: World, kind: str, details: Any, **extra: Any) -> Any:
    return await world.api.post("/v1/listings", {"kind": kind, "name": f"a {kind}", "details": details, **extra})


@pytest.mark.parametrize(("kind", "details"), [("event_show", SHOW), ("flight", FLIGHT), ("stay_property", STAY)])
async def test_each_kind_keeps_its_details_and_shows_them_on_every_read(
    world: World, kind: str, details: dict[str, Any]
) -> None:
    created = await _create(world, kind, details)
    assert created.status_code == 201, created.text
    shown = created.json()
    assert shown["details"] == details
    read = (await world.api.get(f"/v1/listings/{shown['id']}")).json()
    listed = (await world.api.get("/v1/listings")).json()["items"]
    assert read["details"] == details
    assert [item["details"] for item in listed] == [details]


async def test_a_listing_without_a_start_starts_at_its_first_performance_or_its_departure(world: World) -> None:
    show = (await _create(world, "event_show", SHOW)).json()
    flight = (await _create(world, "flight", FLIGHT)).json()
    given = (await _create(world, "flight", FLIGHT, starts_at="2027-05-07T06:00:00Z")).json()
    assert show["starts_at"] == "2027-05-07T20:00:00Z"
    assert flight["starts_at"] == "2027-05-07T07:00:00Z"
    assert given["starts_at"] == "2027-05-07T06:00:00Z"


async def test_listings_without_details_work_as_before(world: World) -> None:
    created = await world.api.post("/v1/listings", {"kind": "flight", "name": "no details"})
    assert created.status_code == 201, created.text
    assert "details" not in created.json()


BAD = [
    ("flight", SHOW, "details.venue"),  # another kind's field
    ("event_show", FLIGHT, "details.origin"),
    ("stay_property", {**STAY, "time_zone": "Mars/Olympus_Mons"}, "details.time_zone"),
    ("stay_property", {k: v for k, v in STAY.items() if k != "address"}, "details.address"),
    ("flight", {**FLIGHT, "arrives_at": FLIGHT["departs_at"]}, "details.arrives_at"),
    ("flight", {**FLIGHT, "destination": "LIS"}, "details.destination"),
    ("flight", {**FLIGHT, "departs_at": "2027-05-07T07:00:00"}, "details.departs_at"),  # no offset
    ("event_show", {"venue": "v", "performances": [SHOW["performances"][0]] * 2}, "details.performances"),
    (
        "event_show",
        {"venue": "v", "performances": [{**SHOW["performances"][0], "ends_at": "2027-05-07T19:00:00Z"}]},
        "details.performances[0].ends_at",
    ),
]


@pytest.mark.parametrize(("kind", "details", "field"), BAD)
async def test_a_wrong_shape_for_the_kind_is_a_400_naming_the_field(
    world: World, kind: str, details: dict[str, Any], field: str
) -> None:
    response = await _create(world, kind, details)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert field in [error.get("field") for error in problem["errors"]], problem
    assert (await world.api.get("/v1/listings")).json()["items"] == []


async def test_a_field_no_kind_has_and_a_bad_format_are_refused_at_the_edge(world: World) -> None:
    unknown = await _create(world, "event_show", {**SHOW, "stage": "main"})
    bad_time = await _create(world, "stay_property", {**STAY, "check_in": "3pm"})
    bad_code = await _create(world, "flight", {**FLIGHT, "origin": "lis"})
    for response in (unknown, bad_time, bad_code):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "validation_failed"
