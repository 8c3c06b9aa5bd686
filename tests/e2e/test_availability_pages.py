"""``GET /v1/listings/{id}/availability`` a page of pools at a time, as ``/pools`` is: the same
``limit`` and ``cursor`` parameters, limits and refusals, and a ``next_cursor`` (None on the last
page) next to the page's ``pools``."""

from __future__ import annotations

from typing import Any

import pytest

from application.ports.repositories import MAX_PAGE_SIZE
from tests.e2e.conftest import World
from tests.e2e.helpers import hold, make_listing
from tests.e2e.test_bad_input import assert_problem


async def _walk(world: World, listing_id: str, limit: int) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await world.api.get(f"/v1/listings/{listing_id}/availability", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["listing_id"] == listing_id
        pages.append(response.json()["pools"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_walk_every_pool_exactly_once_with_its_counters(world: World) -> None:
    listing_id, pools = await make_listing(world.api, tuple((code, 10, 100) for code in "abcde"))
    assert (await hold(world.api, listing_id, {pools["c"]: 3})).status_code == 201

    pages = await _walk(world, listing_id, 2)

    assert [len(page) for page in pages] == [2, 2, 1]
    seen = [pool for page in pages for pool in page]
    assert sorted(pool["pool_id"] for pool in seen) == sorted(pools.values())  # each pool exactly once
    assert {pool["code"]: pool["held"] for pool in seen} == {"a": 0, "b": 0, "c": 3, "d": 0, "e": 0}


async def test_one_page_is_at_most_the_default_limit(world: World) -> None:
    listing_id, _ = await make_listing(world.api, tuple((f"p{n}", 1, 100) for n in range(51)))
    first = (await world.api.get(f"/v1/listings/{listing_id}/availability")).json()
    assert len(first["pools"]) == 50
    rest = await world.api.get(f"/v1/listings/{listing_id}/availability", params={"cursor": first["next_cursor"]})
    assert len(rest.json()["pools"]) == 1
    assert {p["code"] for p in first["pools"] + rest.json()["pools"]} == {f"p{n}" for n in range(51)}
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="zero limit"),
        pytest.param({"limit": MAX_PAGE_SIZE + 1}, id="huge limit"),
        pytest.param({"limit": "two"}, id="limit not a number"),
        pytest.param({"cursor": "garbage!"}, id="cursor not in the alphabet"),
        pytest.param({"cursor": "Z2FyYmFnZQ"}, id="cursor this API never gave out"),
        pytest.param({"page": "2"}, id="unknown parameter"),
    ],
)
async def test_bad_page_parameters_are_refused(world: World, params: dict[str, Any]) -> None:
    listing_id, _ = await make_listing(world.api)
    refused = await world.api.get(f"/v1/listings/{listing_id}/availability", params=params)
    assert_problem(refused, 400, "validation_failed")


async def test_the_openapi_document_names_the_page_parameters(world: World) -> None:
    document = (await world.client.get("/schema/openapi.json")).json()
    route = document["paths"]["/v1/listings/{listing_id}/availability"]["get"]
    assert {p["name"] for p in route["parameters"] if p["in"] == "query"} == {"limit", "cursor"}
    out = route["responses"]["200"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][out["$ref"].rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"listing_id", "pools", "next_cursor"}
