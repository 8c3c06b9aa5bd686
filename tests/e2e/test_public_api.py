"""The public read API (/v1/public/{tenant}/...), on both profiles: no key, only public fields,
server-side caching with its stated bound, HTTP caching (ETag, 304, Cache-Control), 404s that
tell nothing apart, and its own rate-limit class per client address."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from infrastructure.settings import Settings
from tests.e2e.conftest import World
from tests.e2e.helpers import hold, make_listing

BURST = 25  # the public class's burst here: more than any test but the rate-limit one reads


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, rate_limit_public=f"1/s burst {BURST}", public_cache_seconds=2.0)


async def _listing(world: World) -> tuple[str, dict[str, str]]:
    return await make_listing(
        world.api,
        (("a", 5, 2500), ("b", 3, 4000)),
        name="Public Show",
        starts_at="2030-06-01T20:00:00Z",
        per_customer_limit=4,
        hold_ttl_seconds=300,
    )


async def _public(world: World, path: str, **headers: str) -> httpx.Response:
    return await world.client.get(f"/v1/public{path}", headers=headers)


async def test_only_public_fields_are_shown_without_a_key(world: World) -> None:
    listing_id, pools = await _listing(world)

    index = await _public(world, "/acme/listings")
    one = await _public(world, f"/acme/listings/{listing_id}")
    available = await _public(world, f"/acme/listings/{listing_id}/availability")

    assert index.status_code == one.status_code == available.status_code == 200, index.text
    assert set(index.json()) == {"items", "next_cursor"}
    [item] = index.json()["items"]
    assert item == {"id": listing_id, "kind": "event_show", "name": "Public Show", "starts_at": "2030-06-01T20:00:00Z"}
    body = one.json()
    assert set(body) == {"id", "kind", "name", "starts_at", "pools"}
    assert [set(pool) for pool in body["pools"]] == [{"id", "code", "name", "night", "unit_price"}] * 2
    assert [(p["id"], p["code"], p["unit_price"]) for p in body["pools"]] == [
        (pools["a"], "a", {"amount": 2500, "currency": "EUR"}),
        (pools["b"], "b", {"amount": 4000, "currency": "EUR"}),
    ]
    shown = available.json()
    assert set(shown) == {"listing_id", "pools"}
    assert [set(pool) for pool in shown["pools"]] == [
        {"pool_id", "code", "name", "night", "unit_price", "available"}
    ] * 2
    assert [p["available"] for p in shown["pools"]] == [5, 3]
    for private in ("tenant_id", "per_customer_limit", "hold_ttl_seconds", "version", "queue", "capacity", "held"):
        assert private not in index.text + one.text + available.text


async def test_public_routes_are_documented_as_public(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    paths = [path for path in spec["paths"] if path.startswith("/v1/public/")]

    assert sorted(paths) == [
        "/v1/public/{tenant_ref}/listings",
        "/v1/public/{tenant_ref}/listings/{listing_id}",
        "/v1/public/{tenant_ref}/listings/{listing_id}/availability",
    ]
    for path in paths:
        operation = spec["paths"][path]["get"]
        assert operation["x-public"] is True
        assert operation.get("security", []) == []
        assert "401" not in operation["responses"]
        assert {"200", "304", "404", "429"} <= set(operation["responses"])


async def test_a_tenant_is_named_by_its_name_or_its_id(world: World) -> None:
    listing_id, _ = await _listing(world)
    tenant_id = (await world.container.use_cases.authenticate()(world.api.key)).tenant.id

    by_id = await _public(world, f"/{tenant_id}/listings/{listing_id}")

    assert by_id.status_code == 200
    assert by_id.json()["id"] == listing_id


async def test_unknown_tenants_and_listings_and_other_tenants_listings_are_404(world: World) -> None:
    listing_id, _ = await _listing(world)
    theirs, _ = await make_listing(world.other, (("x", 1, 100),), name="Globex Secret")

    answers = [
        await _public(world, "/nobody/listings"),
        await _public(world, f"/nobody/listings/{listing_id}"),
        await _public(world, "/acme/listings/00000000-0000-0000-0000-000000000000"),
        await _public(world, f"/acme/listings/{theirs}"),
        await _public(world, f"/acme/listings/{theirs}/availability"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert {a.headers["content-type"] for a in answers} == {"application/problem+json"}
    assert {a.json()["code"] for a in answers} == {"not_found"}
    assert "Globex Secret" not in "".join(a.text for a in answers)
    globex = await _public(world, "/globex/listings")
    assert [item["name"] for item in globex.json()["items"]] == ["Globex Secret"]


async def test_answers_carry_an_etag_and_an_unchanged_one_is_304(world: World) -> None:
    listing_id, _ = await _listing(world)
    path = f"/acme/listings/{listing_id}"

    first = await _public(world, path)
    again = await _public(world, path, **{"If-None-Match": first.headers["ETag"]})
    weak = await _public(world, path, **{"If-None-Match": f'"other", W/{first.headers["ETag"]}'})
    stale = await _public(world, path, **{"If-None-Match": '"not-it"'})

    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=2"
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert weak.status_code == 304
    assert (stale.status_code, stale.json()) == (200, first.json())


async def test_availability_is_cached_for_its_bound_then_follows_holds(world: World) -> None:
    listing_id, pools = await _listing(world)
    path = f"/acme/listings/{listing_id}/availability"
    before = await _public(world, path)
    assert (await hold(world.api, listing_id, {pools["a"]: 2})).status_code == 201

    cached = await _public(world, path, **{"If-None-Match": before.headers["ETag"]})
    world.clock.advance(2.01)  # past HOLDFAST_PUBLIC_CACHE_SECONDS
    fresh = await _public(world, path, **{"If-None-Match": before.headers["ETag"]})

    assert cached.status_code == 304  # the same answer, at most 2 seconds old
    assert fresh.status_code == 200
    assert [p["available"] for p in fresh.json()["pools"]] == [3, 3]
    assert fresh.headers["ETag"] != before.headers["ETag"]


async def test_a_catalogue_change_is_shown_at_once_whatever_the_bound(world: World) -> None:
    listing_id, pools = await _listing(world)
    path = f"/acme/listings/{listing_id}/availability"
    assert [p["available"] for p in (await _public(world, path)).json()["pools"]] == [5, 3]
    detail = await _public(world, f"/acme/listings/{listing_id}")

    resized = await world.api.patch(f"/v1/pools/{pools['b']}", {"capacity": 9})
    added = await world.api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "c", "capacity": 1, "unit_price": 100, "currency": "EUR"}
    )

    assert resized.status_code == 200
    assert added.status_code == 201
    assert [p["available"] for p in (await _public(world, path)).json()["pools"]] == [5, 9, 1]
    changed = await _public(world, f"/acme/listings/{listing_id}", **{"If-None-Match": detail.headers["ETag"]})
    assert changed.status_code == 200
    assert [p["code"] for p in changed.json()["pools"]] == ["a", "b", "c"]


async def test_the_listing_index_pages_and_shows_new_listings_within_the_bound(world: World) -> None:
    first, _ = await _listing(world)
    assert [i["id"] for i in (await _public(world, "/acme/listings")).json()["items"]] == [first]
    world.clock.advance(1)  # listings are paged by creation time
    second, _ = await make_listing(world.api, (("a", 1, 100),), name="Second")

    still = (await _public(world, "/acme/listings")).json()["items"]
    world.clock.advance(1.01)  # 2.01 seconds after the index was read
    page = (await _public(world, "/acme/listings?limit=1")).json()
    rest = (await _public(world, f"/acme/listings?limit=1&cursor={page['next_cursor']}")).json()

    assert [i["id"] for i in still] == [first]  # the index read at most 2 seconds ago
    assert [i["id"] for i in page["items"]] == [first]
    assert ([i["id"] for i in rest["items"]], rest["next_cursor"]) == ([second], None)


async def test_bad_input_is_a_problem_and_unknown_query_parameters_are_refused(world: World) -> None:
    listing_id, _ = await _listing(world)

    unknown = await _public(world, f"/acme/listings/{listing_id}?secret=1")
    bad_cursor = await _public(world, "/acme/listings?cursor=zzz")
    bad_limit = await _public(world, "/acme/listings?limit=0")
    control = await _public(world, "/ac%1bme/listings")
    answers = (unknown, bad_cursor, bad_limit, control)

    assert [a.status_code for a in answers] == [400] * 4
    assert {a.json()["code"] for a in answers} == {"validation_failed"}


async def test_each_client_address_is_rate_limited_in_the_public_class(world: World) -> None:
    listing_id, _ = await _listing(world)
    app = world.client._transport.app  # type: ignore[attr-defined]

    def client(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 4321))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with client("192.0.2.10") as one, client("192.0.2.11") as two:
        answers = [await one.get(f"/v1/public/acme/listings/{listing_id}") for _ in range(BURST + 1)]
        other = await two.get(f"/v1/public/acme/listings/{listing_id}")
        # an authenticated read from the same address is another class, and not refused
        keyed = await one.get(f"/v1/listings/{listing_id}", headers={"X-API-Key": world.api.key})

    assert [a.status_code for a in answers] == [200] * BURST + [429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "1"
    assert answers[0].headers["X-RateLimit-Limit"] == str(BURST)
    assert other.status_code == 200
    assert keyed.status_code == 200


async def test_archived_listings_and_pools_are_not_shown(world: World) -> None:
    listing_id, pools = await _listing(world)
    assert (await world.api.post(f"/v1/pools/{pools['b']}/archive")).status_code == 200
    shown = await _public(world, f"/acme/listings/{listing_id}/availability")
    assert [p["code"] for p in shown.json()["pools"]] == ["a"]
    assert [p["code"] for p in (await _public(world, f"/acme/listings/{listing_id}")).json()["pools"]] == ["a"]

    assert (await world.api.post(f"/v1/listings/{listing_id}/archive")).status_code == 200
    for path in (f"/acme/listings/{listing_id}", f"/acme/listings/{listing_id}/availability"):
        hidden = await _public(world, path)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    index = (await _public(world, "/acme/listings")).json()["items"]
    assert listing_id not in [item["id"] for item in index]
