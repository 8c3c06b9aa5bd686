"""Seat maps of flights through the API: the map, its pools, seat holds (named or any seat of a
cabin), and races for seats on the Postgres (sql) and Redis engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
from dependency_injector import providers

from application.use_cases.register_tenant import RegisterTenant
from application.use_cases.set_seat_map import SetSeatMap
from domain.listings import TooManyPoolsError
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from interfaces.demo import DEMO_API_KEY, load_demo
from interfaces.http.app import create_app
from interfaces.http.seat_map_schemas import SeatMapIn
from tests.databases import truncate_all
from tests.e2e.conftest import E2E_REDIS_DB, Api, World, _empty_redis
from tests.e2e.helpers import availability, book
from tests.fakes.clock import FakeClock

ECONOMY = {
    "code": "economy",
    "name": "Economy",
    "first_row": 3,
    "last_row": 6,
    "letters": "ABC DEF",
    "price": 10000,
    "exit_rows": [5],
    "extra_legroom_rows": [5],
    "surcharges": {"window": 500, "exit_row": 1500},
    "row_surcharges": [{"row": 3, "amount": 700}],
}
BUSINESS = {"code": "business", "name": "Business", "first_row": 1, "last_row": 2, "letters": "AC DF", "price": 40000}
MAP = {"currency": "EUR", "cabins": [BUSINESS, ECONOMY]}


async def make_flight(api: Api, **listing: Any) -> str:
    created = await api.post("/v1/listings", {"kind": "flight", "name": "HF9 Porto to Oslo", **listing})
    assert created.status_code == 201, created.text
    listing_id: str = created.json()["id"]
    return listing_id


async def mapped_flight(api: Api, seat_map: dict[str, Any] = MAP, **listing: Any) -> str:
    listing_id = await make_flight(api, **listing)
    response = await api.client.put(
        f"/v1/listings/{listing_id}/seat-map", json=seat_map, headers={"X-API-Key": api.key}
    )
    assert response.status_code == 200, response.text
    return listing_id


async def put_map(api: Api, listing_id: str, seat_map: dict[str, Any]) -> Any:
    return await api.client.put(f"/v1/listings/{listing_id}/seat-map", json=seat_map, headers={"X-API-Key": api.key})


async def seat_hold(api: Api, listing_id: str, customer: str = "cust-1", **body: Any) -> Any:
    return await api.post(f"/v1/listings/{listing_id}/seat-holds", {"customer_ref": customer, **body})


async def seat_map(api: Api, listing_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/listings/{listing_id}/seat-map")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def seats_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {seat["code"]: seat for cabin in body["cabins"] for row in cabin["rows"] for seat in row["seats"] if seat}


def cabins_of(body: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """cabin code -> (held, sold, available)."""
    return {cabin["code"]: (cabin["held"], cabin["sold"], cabin["available"]) for cabin in body["cabins"]}


def states(body: dict[str, Any]) -> dict[str, str]:
    return {code: seat["state"] for code, seat in seats_of(body).items()}


async def test_a_seat_map_is_a_pool_per_seat_and_per_cabin(world: World) -> None:
    listing_id = await make_flight(world.api)

    response = await put_map(world.api, listing_id, MAP)

    assert response.status_code == 200, response.text
    body = response.json()
    business, economy = body["cabins"]
    assert (business["code"], business["capacity"], economy["capacity"]) == ("business", 8, 24)
    assert [row["row"] for row in economy["rows"]] == [3, 4, 5, 6]
    assert [seat and seat["code"] for seat in economy["rows"][0]["seats"]] == ["3A", "3B", "3C", None, "3D", "3E", "3F"]
    seats = seats_of(body)
    assert seats["3A"]["features"] == ["window"]
    assert seats["3C"]["features"] == seats["4D"]["features"] == ["aisle"]
    assert seats["4B"]["features"] == []
    assert seats["5A"]["features"] == ["exit_row", "extra_legroom", "window"]
    # Cabin price + feature surcharges + row surcharge.
    assert (seats["3A"]["price"], seats["3B"]["price"], seats["4A"]["price"]) == (11200, 10700, 10500)
    assert (seats["5A"]["price"], seats["5B"]["price"], seats["1A"]["price"]) == (12000, 11500, 40000)
    assert set(states(body).values()) == {"free"}
    pools = await availability(world.api, listing_id)
    assert pools["cabin-economy"] == (0, 0, 24)
    assert pools["cabin-business"] == (0, 0, 8)
    assert pools["6F"] == pools["1A"] == (0, 0, 1)
    assert len(pools) == 2 + 32
    assert await seat_map(world.api, listing_id) == body


async def test_a_named_seat_takes_its_seat_and_one_cabin_unit_and_is_booked_as_usual(world: World) -> None:
    listing_id = await mapped_flight(world.api)

    placed = await seat_hold(world.api, listing_id, seat="3A")

    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["seat"], hold["cabin"], hold["total_price"]["amount"]) == ("3A", "economy", 11200)
    assert len(hold["lines"]) == 2
    taken = await seat_hold(world.api, listing_id, customer="cust-2", seat="3A")
    assert taken.status_code == 409
    assert taken.json()["code"] == "insufficient_inventory"
    body = await seat_map(world.api, listing_id)
    assert states(body)["3A"] == "held"
    assert cabins_of(body)["economy"] == (1, 0, 23)

    booking = await book(world, hold["id"])

    assert booking["status"] == "confirmed"
    body = await seat_map(world.api, listing_id)
    assert states(body)["3A"] == "sold"
    assert cabins_of(body)["economy"] == (0, 1, 23)


async def test_any_seat_of_a_cabin_is_picked_by_preference(world: World) -> None:
    listing_id = await mapped_flight(world.api)

    first = await seat_hold(world.api, listing_id, cabin="economy", preferences={"window": True, "exit_row": True})
    second = await seat_hold(world.api, listing_id, cabin="economy", preferences={"window": True, "exit_row": True})
    aisle = await seat_hold(world.api, listing_id, cabin="economy", preferences={"aisle": True, "window": False})
    plain = await seat_hold(world.api, listing_id, cabin="business")

    assert [r.status_code for r in (first, second, aisle, plain)] == [201] * 4, first.text
    assert [r.json()["seat"] for r in (first, second, aisle, plain)] == ["5A", "5F", "3C", "1A"]
    assert first.json()["total_price"]["amount"] == 12000
    body = await seat_map(world.api, listing_id)
    assert cabins_of(body) == {"business": (1, 0, 7), "economy": (3, 0, 21)}


async def test_a_full_cabin_refuses_any_seat_and_changes_nothing(world: World) -> None:
    listing_id = await mapped_flight(world.api)
    for code in ("1A", "1C", "1D", "1F", "2A", "2C", "2D", "2F"):
        assert (await seat_hold(world.api, listing_id, customer=code, seat=code)).status_code == 201
    before = await seat_map(world.api, listing_id)

    refused = await seat_hold(world.api, listing_id, cabin="business")

    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_inventory"
    business_pool = before["cabins"][0]["pool_id"]
    assert [pool["pool_id"] for pool in refused.json()["pools"]] == [business_pool]
    assert await seat_map(world.api, listing_id) == before


async def test_a_map_changes_until_a_seat_is_held(world: World) -> None:
    listing_id = await mapped_flight(world.api)
    smaller = {
        "currency": "EUR",
        "cabins": [BUSINESS, {**ECONOMY, "last_row": 4, "price": 9000, "exit_rows": [], "extra_legroom_rows": []}],
    }

    changed = await put_map(world.api, listing_id, smaller)

    assert changed.status_code == 200, changed.text
    assert cabins_of(changed.json())["economy"] == (0, 0, 12)
    assert seats_of(changed.json())["4B"]["price"] == 9000
    pools = await availability(world.api, listing_id)
    assert pools["5A"] == (0, 0, 0)  # dropped: kept, with no capacity
    assert pools["cabin-economy"] == (0, 0, 12)
    assert (await seat_hold(world.api, listing_id, seat="5A")).status_code == 404
    assert (await seat_hold(world.api, listing_id, seat="4B")).json()["total_price"]["amount"] == 9000

    refused = await put_map(world.api, listing_id, MAP)

    assert refused.status_code == 409
    assert refused.json()["code"] == "seat_map_in_use"
    assert cabins_of(await seat_map(world.api, listing_id))["economy"] == (1, 0, 11)


async def test_only_a_flight_has_a_seat_map(world: World) -> None:
    created = await world.api.post("/v1/listings", {"kind": "event_show", "name": "A show"})
    listing_id = created.json()["id"]

    response = await put_map(world.api, listing_id, MAP)

    assert response.status_code == 409
    assert response.json()["code"] == "not_a_flight"
    assert await availability(world.api, listing_id) == {}
    assert (await world.api.get(f"/v1/listings/{listing_id}/seat-map")).json()["code"] == "not_found"


@pytest.mark.parametrize(
    "cabins",
    [
        [BUSINESS, {**ECONOMY, "first_row": 2}],  # rows overlap
        [{**ECONOMY, "letters": "ABC  DEF"}],  # a double aisle
        [{**ECONOMY, "letters": "ABA"}],  # a letter twice
        [{**ECONOMY, "exit_rows": [9]}],  # outside the cabin
        [{**ECONOMY, "first_row": 7}],  # first after last
        [ECONOMY, {**BUSINESS, "code": "economy"}],
        [{**ECONOMY, "surcharges": {"wifi": 3}}],
    ],
)
async def test_a_bad_map_is_refused_and_creates_nothing(world: World, cabins: list[dict[str, Any]]) -> None:
    listing_id = await make_flight(world.api)

    response = await put_map(world.api, listing_id, {"currency": "EUR", "cabins": cabins})

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"
    assert await availability(world.api, listing_id) == {}


async def test_a_bad_seat_hold_is_refused_and_holds_nothing(world: World) -> None:
    listing_id = await mapped_flight(world.api)

    both = await seat_hold(world.api, listing_id, seat="3A", cabin="business")
    neither = await seat_hold(world.api, listing_id)
    unknown_seat = await seat_hold(world.api, listing_id, seat="9A")
    unknown_cabin = await seat_hold(world.api, listing_id, cabin="first")
    other_tenant = await seat_hold(world.other, listing_id, seat="3A")

    assert [r.status_code for r in (both, neither, unknown_seat, unknown_cabin, other_tenant)] == [
        404,
        400,
        404,
        404,
        404,
    ]
    assert cabins_of(await seat_map(world.api, listing_id)) == {"business": (0, 0, 8), "economy": (0, 0, 24)}


async def test_a_seat_hold_retried_with_its_id_returns_the_same_hold(world: World) -> None:
    listing_id = await mapped_flight(world.api)
    hold_id = "6f1c1a52-3f55-4a57-9a39-2a3f1e1c0001"

    first = await seat_hold(world.api, listing_id, cabin="economy", id=hold_id)
    again = await seat_hold(world.api, listing_id, cabin="economy", id=hold_id)
    other_seat = await seat_hold(world.api, listing_id, seat="6F", id=hold_id)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert other_seat.status_code == 409
    assert other_seat.json()["code"] == "hold_id_conflict"
    assert cabins_of(await seat_map(world.api, listing_id))["economy"] == (1, 0, 23)


async def test_the_per_customer_limit_counts_a_seat_as_its_two_units(world: World) -> None:
    listing_id = await mapped_flight(world.api, per_customer_limit=4)

    held = [await seat_hold(world.api, listing_id, customer="ann", cabin="economy") for _ in range(3)]

    assert [r.status_code for r in held] == [201, 201, 409]
    assert held[2].json()["code"] == "customer_limit_exceeded"


async def test_a_map_over_the_pool_limit_is_refused_and_creates_nothing(world: World) -> None:
    listing_id = await make_flight(world.api)
    async with world.container.gateways.uow() as uow:
        tenant = await uow.tenants.find_by_name("acme")
    assert tenant is not None
    handler = world.container.use_cases.set_seat_map(max_pools=33)  # the map needs 34 pools
    command = SetSeatMap(tenant.id, UUID(listing_id), msgspec.convert(MAP, SeatMapIn).seat_map())

    with pytest.raises(TooManyPoolsError):
        await handler(command)

    assert await availability(world.api, listing_id) == {}
    assert (await world.api.get(f"/v1/listings/{listing_id}/seat-map")).status_code == 404


# --- races, on the engines whose state is shared by processes: sql on Postgres, and Redis ---


@pytest.fixture(params=["sql", "redis"])
async def race(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    database_url: str = request.getfixturevalue("e2e_postgres_url")
    redis_url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + f"/{E2E_REDIS_DB}"
    await truncate_all(database_url)
    await _empty_redis(redis_url)
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        inventory_engine=request.param,
        expiry_sweep_seconds=0,
        db_pool_size=10,
    )
    clock = FakeClock()
    container = build_container(settings)
    container.core.clock.override(providers.Object(clock))
    transport = httpx.ASGITransport(app=create_app(settings, container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        acme = await container.use_cases.register_tenant()(RegisterTenant("acme"))
        api = Api(client, acme.api_key, clock)
        try:
            yield World(api, api, client, clock, container)
        finally:
            await close_container(container)


async def test_many_clients_race_for_one_named_seat_and_one_wins(race: World) -> None:
    listing_id = await mapped_flight(race.api)

    answers = await asyncio.gather(*(seat_hold(race.api, listing_id, f"c{n}", seat="4C") for n in range(40)))

    assert sorted(r.status_code for r in answers).count(201) == 1
    assert {r.status_code for r in answers} == {201, 409}
    body = await seat_map(race.api, listing_id)
    assert states(body)["4C"] == "held"
    assert cabins_of(body)["economy"] == (1, 0, 23)


async def test_many_clients_race_for_any_seat_of_a_nearly_full_cabin(race: World) -> None:
    listing_id = await mapped_flight(race.api)
    left = {"5A", "6C", "6F"}
    for code in sorted(set(seats_of(await seat_map(race.api, listing_id))) - left):
        if not code.startswith(("1", "2")):
            assert (await seat_hold(race.api, listing_id, f"pre-{code}", seat=code)).status_code == 201

    answers = await asyncio.gather(
        *(seat_hold(race.api, listing_id, f"c{n}", cabin="economy", preferences={"window": True}) for n in range(40))
    )

    won = [r.json()["seat"] for r in answers if r.status_code == 201]
    assert sorted(won) == sorted(left)  # exactly the free seats, each once
    assert all(r.json()["code"] == "insufficient_inventory" for r in answers if r.status_code != 201)
    body = await seat_map(race.api, listing_id)
    held_seats = [code for code, state in states(body).items() if state == "held"]
    assert len(held_seats) == 24
    assert cabins_of(body)["economy"] == (24, 0, 0)
    assert cabins_of(body)["business"] == (0, 0, 8)


async def test_the_demo_flight_has_a_real_seat_map(world: World) -> None:
    await load_demo(world.container)
    demo = Api(world.client, DEMO_API_KEY, world.clock)
    flights = [item for item in (await demo.get("/v1/listings")).json()["items"] if item["kind"] == "flight"]
    assert [flight["name"] for flight in flights] == ["HF101 Lisbon to Amsterdam"]

    body = await seat_map(demo, flights[0]["id"])

    business, economy = body["cabins"]
    assert (business["capacity"], economy["capacity"]) == (8, 108)
    seats = seats_of(body)
    assert seats["10A"]["features"] == ["exit_row", "extra_legroom", "window"]
    assert seats["12B"]["features"] == []
    assert seats["12B"]["price"] == 8900
    held = await seat_hold(demo, flights[0]["id"], cabin="economy", preferences={"extra_legroom": True, "aisle": True})
    assert held.status_code == 201, held.text
    assert held.json()["seat"] == "3C"
    assert cabins_of(await seat_map(demo, flights[0]["id"]))["economy"] == (1, 0, 107)


async def test_a_picked_seat_is_journaled_and_booked_as_the_seat_it_is(world: World) -> None:
    listing_id = await mapped_flight(world.api)
    placed = (await seat_hold(world.api, listing_id, cabin="business", preferences={"window": False})).json()
    seat_pool = seats_of(await seat_map(world.api, listing_id))[placed["seat"]]["pool_id"]

    await world.container.use_cases.journal_holds()()  # the redis engine's holds reach Postgres so
    listed = (await world.api.get(f"/v1/holds?listing_id={listing_id}")).json()["items"]
    booking = await book(world, placed["id"])

    assert placed["seat"] == "1C"
    assert [line["pool_id"] for line in listed[0]["lines"]] == [line["pool_id"] for line in placed["lines"]]
    assert seat_pool in [line["pool_id"] for line in listed[0]["lines"]]
    assert booking["status"] == "confirmed"
    assert booking["total"]["amount"] == 40000
    body = await seat_map(world.api, listing_id)
    assert states(body)["1C"] == "sold"
    assert cabins_of(body)["business"] == (0, 1, 7)


async def test_an_idempotency_key_replays_a_seat_pick_without_taking_another_seat(world: World) -> None:
    listing_id = await mapped_flight(world.api)
    headers = {"Idempotency-Key": "pick-once"}

    first = await world.api.post(
        f"/v1/listings/{listing_id}/seat-holds", {"cabin": "economy", "customer_ref": "c"}, headers=headers
    )
    again = await world.api.post(
        f"/v1/listings/{listing_id}/seat-holds", {"cabin": "economy", "customer_ref": "c"}, headers=headers
    )
    other = await world.api.post(
        f"/v1/listings/{listing_id}/seat-holds", {"cabin": "business", "customer_ref": "c"}, headers=headers
    )

    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_mismatch"
    assert cabins_of(await seat_map(world.api, listing_id)) == {"business": (0, 0, 8), "economy": (1, 0, 23)}


async def test_a_changed_map_keeps_a_cabins_overbooking_and_records_the_resize(world: World) -> None:
    """A map put again resizes its cabin pools as every resize does (``resize_in``): the engine
    is told the sellable capacity, the allowance set on the cabin pool is kept, and the resize is
    audited."""
    listing_id = await mapped_flight(world.api)
    pools = (await world.api.get(f"/v1/listings/{listing_id}/pools", params={"limit": 200})).json()["items"]
    [cabin] = [pool["id"] for pool in pools if pool["code"] == "cabin-economy"]
    assert (await world.api.put(f"/v1/pools/{cabin}/overbooking", {"units": 2})).status_code == 200
    smaller = {
        "currency": "EUR",
        "cabins": [BUSINESS, {**ECONOMY, "last_row": 4, "exit_rows": [], "extra_legroom_rows": []}],
    }

    assert (await put_map(world.api, listing_id, smaller)).status_code == 200

    assert (await availability(world.api, listing_id))["cabin-economy"] == (0, 0, 14)  # 12 seats + 2
    resized = (await world.api.get("/v1/admin/audit-logs", params={"action": "pool.resize"})).json()["items"]
    assert cabin in [row["entity_id"] for row in resized]
