"""``GET /v1/listings``: filters, text search, sorts and cursors, on both profiles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing

FLIGHT = {
    "origin": "LIS",
    "destination": "AMS",
    "flight_number": "HF101",
    "departs_at": "2027-05-07T07:00:00Z",
    "arrives_at": "2027-05-07T10:55:00Z",
}


async def _listing(api: Api, kind: str, name: str, **extra: Any) -> str:
    created = await api.post("/v1/listings", {"kind": kind, "name": name, **extra})
    assert created.status_code == 201, created.text
    api.clock.advance(1)  # creation order is the default order
    return str(created.json()["id"])


async def _names(api: Api, **params: Any) -> list[str]:
    """Every page's names, following the cursors (2 a page)."""
    names: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2, **params, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/v1/listings", params=query)
        assert response.status_code == 200, response.text
        names += [item["name"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return names


async def _catalogue(api: Api) -> None:
    await _listing(
        api, "event_show", "Fado Night", details={"venue": "Clube de Fado"}, starts_at="2027-03-01T21:00:00Z"
    )
    await _listing(api, "flight", "Morning flight", details=FLIGHT)
    await _listing(
        api,
        "stay_property",
        "harbour house",
        details={
            "address": "1 Harbour Row, Porto",
            "check_in": "15:00",
            "check_out": "11:00",
            "time_zone": "Europe/Lisbon",
        },
    )
    await _listing(api, "event_show", "100% Jazz_Club", starts_at="2027-01-15T20:00:00Z")


async def test_kind_text_and_dates_filter_together(world: World) -> None:
    await _catalogue(world.api)
    assert await _names(world.api, kind="flight") == ["Morning flight"]
    assert await _names(world.api, kind="event_show") == ["Fado Night", "100% Jazz_Club"]
    assert await _names(world.api, q="fado") == ["Fado Night"]  # the name and the venue
    assert await _names(world.api, q="CLUBE") == ["Fado Night"]  # the venue, any case
    assert await _names(world.api, q="lis-ams") == ["Morning flight"]  # the route
    assert await _names(world.api, q="hf101") == ["Morning flight"]  # the flight number
    assert await _names(world.api, q="porto") == ["harbour house"]  # the address
    assert await _names(world.api, q="%") == ["100% Jazz_Club"]  # LIKE's wildcards are plain text
    assert await _names(world.api, q="_") == ["100% Jazz_Club"]
    assert await _names(world.api, q="club", kind="event_show") == ["Fado Night", "100% Jazz_Club"]
    window = {"from": "2027-02-01T00:00:00Z", "to": "2027-06-01T00:00:00Z"}
    assert await _names(world.api, **window) == ["Fado Night", "Morning flight"]
    assert await _names(world.api, **window, kind="flight") == ["Morning flight"]
    assert await _names(world.api, to="2027-03-01T21:00:00Z") == ["100% Jazz_Club"]  # `to` excluded
    assert await _names(world.api, **{"from": "2027-03-01T21:00:00Z"}) == ["Fado Night", "Morning flight"]


async def test_sorts_are_stable_and_pages_follow_them(world: World) -> None:
    await _catalogue(world.api)
    await _listing(world.api, "event_show", "fado night")  # the same name, folded: the id decides
    by_start = await _names(world.api, sort="starts_at")
    assert by_start[:3] == ["100% Jazz_Club", "Fado Night", "Morning flight"]
    assert sorted(by_start[3:]) == ["fado night", "harbour house"]  # no start: last
    by_name = await _names(world.api, sort="name")
    assert by_name[0] == "100% Jazz_Club"
    assert sorted(by_name[1:3]) == ["Fado Night", "fado night"]
    assert by_name[3:] == ["harbour house", "Morning flight"]
    everything = await _names(world.api)
    assert len(everything) == 5
    assert sorted(everything) == sorted(by_name) == sorted(by_start)


async def test_available_lists_only_listings_with_units_left(world: World) -> None:
    sold_out, pools = await make_listing(world.api, (("a", 1, 0),), name="Sold out")
    await book(world, (await hold(world.api, sold_out, {pools["a"]: 1})).json()["id"])
    await make_listing(world.api, (("a", 1, 0),), name="Held")  # held units come back: still left
    held_id = (await _ids(world.api, name="Held"))[0]
    pool = (await world.api.get(f"/v1/listings/{held_id}")).json()["pools"][0]["id"]
    assert (await hold(world.api, held_id, {pool: 1})).status_code == 201
    await make_listing(world.api, (("a", 0, 0),), name="Empty")
    await make_listing(world.api, (), name="No pools")
    _archived, archived_pools = await make_listing(world.api, (("a", 5, 0),), name="Pool archived")
    await world.api.post(f"/v1/pools/{archived_pools['a']}/archive")
    await make_listing(world.api, (("a", 0, 0), ("b", 3, 0)), name="Open")
    assert sorted(await _names(world.api, available="true")) == ["Held", "Open"]
    assert len(await _names(world.api, available="false")) == 6


async def _ids(api: Api, name: str) -> list[str]:
    items = (await api.get("/v1/listings", params={"limit": 200})).json()["items"]
    return [item["id"] for item in items if item["name"] == name]


async def test_archived_listings_are_listed_only_when_asked_for(world: World) -> None:
    kept = await _listing(world.api, "flight", "kept")
    gone = await _listing(world.api, "flight", "gone")
    await world.api.post(f"/v1/listings/{gone}/archive")
    assert await _names(world.api) == ["kept"]
    assert await _names(world.api, archived="true") == ["gone"]
    assert kept != gone


async def test_another_tenants_listings_never_match(world: World) -> None:
    await _catalogue(world.api)
    assert await _names(world.other, q="fado") == []
    assert await _names(world.other) == []


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "boat"},
        {"sort": "price"},
        {"available": "maybe"},
        {"from": "yesterday"},
        {"from": "2027-01-01T00:00:00"},  # no offset
        {"from": "2027-02-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "a\u0000b"},
        {"cursor": "not-a-cursor"},
        {"colour": "red"},
    ],
)
async def test_bad_filters_are_a_400_with_a_stable_code(world: World, params: dict[str, str]) -> None:
    response = await world.api.get("/v1/listings", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"


async def test_a_cursor_of_another_sort_is_refused(world: World) -> None:
    await _catalogue(world.api)
    page = (await world.api.get("/v1/listings", params={"limit": 1, "sort": "name"})).json()
    crossed = await world.api.get("/v1/listings", params={"sort": "starts_at", "cursor": page["next_cursor"]})
    assert crossed.status_code == 400, crossed.text
    assert crossed.json()["code"] == "validation_failed"
