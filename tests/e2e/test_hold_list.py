"""``GET /v1/holds``: a tenant's holds, filtered and a page at a time, on every engine.

On the redis engine the list reads the hold journal in Postgres, so each test journals
(``journal_holds``, as the job does every round) before it lists; on the sql engine journaling
has nothing to do and the list is exact at once.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing


async def _journaled(world: World) -> None:
    journal = world.container.use_cases.journal_holds()
    await journal()


async def _ids(api: Api, **params: Any) -> list[str]:
    response = await api.get("/v1/holds", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_holds_are_listed_oldest_first_a_page_at_a_time(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 20, 1000),))
    placed = []
    for n in range(5):
        placed.append((await hold(world.api, listing, {pools["a"]: 1}, customer=f"c{n}")).json())
        world.clock.advance(1)
    await _journaled(world)

    first = (await world.api.get("/v1/holds", params={"limit": 2})).json()
    assert [item["id"] for item in first["items"]] == [h["id"] for h in placed[:2]]
    assert first["items"][0] == placed[0]  # each item as GET /v1/holds/{id} answers it
    second = (await world.api.get("/v1/holds", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await world.api.get("/v1/holds", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    assert [item["id"] for item in second["items"] + third["items"]] == [h["id"] for h in placed[2:]]
    assert third["next_cursor"] is None


async def test_holds_are_filtered_by_listing_customer_and_status(world: World) -> None:
    show, show_pools = await make_listing(world.api, (("a", 20, 1000),))
    other, other_pools = await make_listing(world.api, (("a", 20, 1000),))
    placed = []
    for listing, pool, customer, ttl in (
        (show, show_pools["a"], "ann", 600),
        (show, show_pools["a"], "bob", 600),
        (other, other_pools["a"], "ann", 600),
        (other, other_pools["a"], "cy", 60),
    ):
        placed.append((await hold(world.api, listing, {pool: 1}, customer=customer, ttl_seconds=ttl)).json())
        world.clock.advance(1)  # one creation time each: the list's order is theirs
    kept, released, elsewhere, short = placed
    assert (await world.api.delete(f"/v1/holds/{released['id']}")).status_code == 200
    world.clock.advance(120)  # "short" is due, not yet swept: it reads expired
    await _journaled(world)

    assert await _ids(world.api, listing_id=show) == [kept["id"], released["id"]]
    assert await _ids(world.api, customer_ref="ann") == [kept["id"], elsewhere["id"]]
    assert await _ids(world.api, status="released") == [released["id"]]
    assert await _ids(world.api, status="expired") == [short["id"]]
    assert await _ids(world.api, status="active", listing_id=other) == [elsewhere["id"]]
    listed = (await world.api.get("/v1/holds", params={"status": "expired"})).json()["items"]
    assert listed[0]["status"] == "expired"


async def test_another_tenants_holds_are_never_listed(world: World) -> None:
    listing, pools = await make_listing(world.api)
    await hold(world.api, listing, {pools["a"]: 1})
    await _journaled(world)
    assert len(await _ids(world.api)) == 1
    assert await _ids(world.other) == []
    assert await _ids(world.other, listing_id=listing) == []


async def test_bad_list_parameters_are_refused(world: World) -> None:
    for params in ({"status": "held"}, {"limit": 0}, {"cursor": "garbage!"}, {"listing_id": "x"}, {"pool_id": "x"}):
        response = await world.api.get("/v1/holds", params=params)
        assert response.status_code == 400, params
        assert response.json()["code"] == "validation_failed"
