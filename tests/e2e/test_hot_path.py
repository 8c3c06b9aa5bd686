"""``POST /v1/holds`` and ``POST /v1/bookings`` answered by the hot path are answered exactly as
Litestar's routes answer them.

Two apps over one container (one database, one engine, one clock): ``world``'s, with the hot
path, and ``routed``, with ``hot_path=False``. The same request, with the same correlation id,
goes to both; status, headers and body bytes must be equal. A request that places a hold
carries its hold ``id``, so whichever app is second finds the hold the first placed and
answers it again (the engine's idempotency on hold ids), with the same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from interfaces.http.app import HoldfastApp, create_app
from tests.e2e.conftest import World
from tests.e2e.helpers import make_listing

Answer = tuple[int, list[tuple[str, str]], bytes]
VARYING = {"date", "server"}  # set per response by the transport, not by either path


@pytest.fixture
async def routed(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(world.container.settings(), world.container, hot_path=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def _hot_app(world: World) -> HoldfastApp:
    app = world.client._transport.app  # type: ignore[attr-defined]
    assert isinstance(app, HoldfastApp)
    assert app.hot_path is not None
    return app


async def _send(client: httpx.AsyncClient, body: bytes, headers: dict[str, str], path: str = "/v1/holds") -> Answer:
    response = await client.post(path, content=body, headers=headers)
    kept = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() not in VARYING)
    return response.status_code, kept, response.content


async def _both(world: World, routed: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> Answer:
    """Asks the route first, then the hot path, with the same correlation id; returns the answer
    after checking the two are equal."""
    headers = {"X-API-Key": world.api.key, "X-Correlation-ID": f"parity-{uuid4().hex}", **headers}
    keyed = "Idempotency-Key" in headers  # a key of each: the second would be a replay of the first
    expected = await _send(routed, body, {**headers, **({"Idempotency-Key": "route"} if keyed else {})})
    got = await _send(world.client, body, {**headers, **({"Idempotency-Key": "hot"} if keyed else {})})
    _assert_alike(got, expected)
    return got


def _assert_alike(got: Answer, expected: Answer) -> None:
    """Equal, but for the rate-limit tokens left: both apps count in the same buckets, so the
    second request finds one token fewer."""
    left = _tokens_left(expected)
    assert _tokens_left(got) == (None if left is None else left - 1)
    assert _uncounted(got) == _uncounted(expected)


def _tokens_left(answer: Answer) -> int | None:
    return next((int(value) for name, value in answer[1] if name == "x-ratelimit-remaining"), None)


def _uncounted(answer: Answer) -> Answer:
    status, headers, body = answer
    return status, [(name, value) for name, value in headers if name != "x-ratelimit-remaining"], body


def _body(listing: str, pool: str, **fields: Any) -> bytes:
    document = {"listing_id": listing, "customer_ref": "cust-1", "lines": [{"pool_id": pool, "quantity": 1}]}
    return json.dumps({**document, **fields}).encode()


JSON = {"Content-Type": "application/json"}


async def test_a_placed_hold_is_answered_alike(world: World, routed: httpx.AsyncClient) -> None:
    listing, pools = await make_listing(world.api, (("a", 5, 1250),))
    status, headers, body = await _both(world, routed, _body(listing, pools["a"], id=str(uuid4())), JSON)
    assert status == 201, body
    assert ("content-type", "application/json") in headers
    assert json.loads(body)["total_price"] == {"amount": 1250, "currency": "EUR"}


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("sold_out", 409, "insufficient_inventory"),
        ("over_the_customer_limit", 409, "customer_limit_exceeded"),
        ("unknown_listing", 404, "not_found"),
        ("unknown_pool", 404, "not_found"),
        ("ttl_too_long", 400, "validation_failed"),
        ("same_id_other_request", 409, "hold_id_conflict"),
    ],
)
async def test_refusals_are_answered_alike(
    world: World, routed: httpx.AsyncClient, case: str, status: int, code: str
) -> None:
    listing, pools = await make_listing(
        world.api, (("a", 3, 1000), ("gone", 0, 1000)), per_customer_limit=2, hold_ttl_seconds=60
    )
    taken = str(uuid4())
    placed = await world.api.post("/v1/holds", json.loads(_body(listing, pools["a"], id=taken)))
    assert placed.status_code == 201, placed.text
    bodies = {
        "sold_out": _body(listing, pools["gone"]),
        "over_the_customer_limit": _body(listing, pools["a"], lines=[{"pool_id": pools["a"], "quantity": 2}]),
        "unknown_listing": _body(str(uuid4()), pools["a"]),
        "unknown_pool": _body(listing, str(uuid4())),
        "ttl_too_long": _body(listing, pools["a"], ttl_seconds=120),
        "same_id_other_request": _body(listing, pools["a"], id=taken, customer_ref="someone-else"),
    }
    answered, headers, body = await _both(world, routed, bodies[case], JSON)
    assert (answered, json.loads(body)["code"]) == (status, code), body
    assert ("content-type", "application/problem+json") in headers


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"", JSON, 400),
        (b"{", JSON, 400),
        (b"[]", JSON, 400),
        (b'{"listing_id": 1}', JSON, 400),
        (None, {"Content-Type": "text/plain"}, None),  # the route decides what other media types get
        (None, {"Content-Type": "application/json; charset=utf-8"}, 201),
        (None, {**JSON, "X-API-Key": "not-a-key"}, 401),
        (None, {**JSON, "X-API-Key": ""}, 401),
        (None, {**JSON, "Idempotency-Key": "parity"}, 201),
        (b" " * (1024 * 1024 + 1), JSON, 413),
    ],
)
async def test_what_the_hot_path_hands_on_is_answered_by_the_route(
    world: World, routed: httpx.AsyncClient, body: bytes | None, headers: dict[str, str], status: int | None
) -> None:
    listing, pools = await make_listing(world.api)
    content = _body(listing, pools["a"], id=str(uuid4())) if body is None else body
    answered, _, text = await _both(world, routed, content, headers)
    assert status is None or answered == status, text


async def test_common_answers_never_reach_the_route(world: World, routed: httpx.AsyncClient) -> None:
    """A hold and a sold-out refusal are answered by the hot path itself (the point of it)."""
    hot = _hot_app(world).hot_path
    assert hot is not None
    handed_on: list[str] = []
    route = hot._fallback

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        handed_on.append(scope["path"])
        await route(scope, receive, send)

    hot._fallback = counting
    listing, pools = await make_listing(world.api, (("a", 1, 1000), ("gone", 0, 1000)))
    placed = await world.client.post("/v1/holds", content=_body(listing, pools["a"]), headers=_keyed(world))
    refused = await world.client.post("/v1/holds", content=_body(listing, pools["gone"]), headers=_keyed(world))
    assert (placed.status_code, refused.status_code) == (201, 409)
    [free] = await _free_holds(world, 1)
    booked = await world.client.post("/v1/bookings", content=json.dumps({"hold_id": free}), headers=_keyed(world))
    assert booked.status_code == 201, booked.text
    assert handed_on == []
    wrong = await world.client.post("/v1/holds", content=b"{}", headers=_keyed(world))
    assert wrong.status_code == 400
    assert handed_on == ["/v1/holds"]


def _keyed(world: World) -> dict[str, str]:
    return {"X-API-Key": world.api.key, **JSON}


# Bodies near a valid one: each field dropped, replaced by a value of another JSON type or out of
# range, or an unknown field added. Drawn from a seeded generator: the same bodies every run.
_ODD_VALUES: list[Any] = [None, True, 0, -1, 2**63, 1.5, "", "x", "2", [], [1], {}, {"a": None}, "00000000-0000"]


def _near_valid(rng: random.Random, listing: str, pool: str) -> dict[str, Any]:
    line: dict[str, Any] = {"pool_id": pool, "quantity": rng.randint(-2, 12)}
    if rng.random() < 0.2:
        line[rng.choice(["pool_id", "quantity", "extra"])] = rng.choice(_ODD_VALUES)
    document: dict[str, Any] = {
        "listing_id": listing,
        "customer_ref": rng.choice(["c1", "c2", "", "x" * 300, "tab\there", "caf\u00e9"]),
        "lines": [line] * rng.randint(0, 2),
        "id": str(uuid4()),
    }
    if rng.random() < 0.5:
        document["ttl_seconds"] = rng.choice([-1, 0, 1, 60, 10**6, "60", 1.0])
    for _ in range(rng.randint(0, 2)):
        name = rng.choice(["listing_id", "customer_ref", "lines", "id", "extra"])
        if rng.random() < 0.5 and name != "id":  # without an id the two apps would place two holds
            document.pop(name, None)
        else:
            document[name] = rng.choice(_ODD_VALUES)
    return document


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_any_body_near_a_valid_one_is_answered_alike(world: World, routed: httpx.AsyncClient) -> None:
    listing, pools = await make_listing(world.api, (("a", 1000, 100),), per_customer_limit=8)
    rng = random.Random(9)
    statuses = set()
    for _ in range(150):
        status, _, _ = await _both(world, routed, json.dumps(_near_valid(rng, listing, pools["a"])).encode(), JSON)
        statuses.add(status)
    assert {201, 400, 409} <= statuses  # the bodies reached placed holds and refusals, not only 400s


def _conforms(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (the OpenAPI document's JSON Schema subset our documents
    use: $ref, oneOf/anyOf, type, properties, required, items, enum)."""
    if "$ref" in schema:
        return _conforms(value, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], spec, where)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            fits = [not _conforms(value, option, spec, where) for option in schema[key]]
            return [] if any(fits) else [f"{where}: fits no option of {key}"]
    kinds = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    kind = schema.get("type")
    if kind == "null":
        return [] if value is None else [f"{where}: not null"]
    if kind in kinds and (not isinstance(value, kinds[kind]) or (kind == "integer" and isinstance(value, bool))):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    problems: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{where}.{name}: missing" for name in schema.get("required", []) if name not in value]
        if properties and schema.get("additionalProperties", True) is not True:
            problems += [f"{where}.{name}: not documented" for name in value if name not in properties]
        for name, item in value.items():
            if name in properties:
                problems += _conforms(item, properties[name], spec, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += _conforms(item, schema["items"], spec, f"{where}[{i}]")
    return problems


async def test_hot_path_answers_are_what_the_openapi_document_says(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    responses = spec["paths"]["/v1/holds"]["post"]["responses"]
    listing, pools = await make_listing(world.api, (("a", 1, 1000), ("gone", 0, 1000)))
    for pool, status, media in (
        (pools["a"], "201", "application/json"),
        (pools["gone"], "409", "application/problem+json"),
    ):
        answer = await world.client.post("/v1/holds", content=_body(listing, pool), headers=_keyed(world))
        assert str(answer.status_code) == status, answer.text
        assert answer.headers["content-type"] == media
        body = answer.json()
        schema = responses[status]["content"][media]["schema"]
        assert _conforms(body, schema, spec) == [], body
        documented = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]["properties"]
        assert set(documented) >= set(body), set(body) - set(documented)


async def _book(client: httpx.AsyncClient, world: World, hold_id: str, **fields: Any) -> Answer:
    body = json.dumps({"hold_id": hold_id, **fields}).encode()
    headers = {"X-API-Key": world.api.key, "X-Correlation-ID": "parity-booking", **JSON}
    return await _send(client, body, headers, "/v1/bookings")


async def _free_holds(world: World, count: int) -> list[str]:
    listing, pools = await make_listing(world.api, (("free", 10, 0),))
    placed = [await world.api.post("/v1/holds", json.loads(_body(listing, pools["free"]))) for _ in range(count)]
    return [response.json()["id"] for response in placed]


async def test_a_booking_is_answered_alike(world: World, routed: httpx.AsyncClient) -> None:
    """The first request for a hold books it (201), the next answers the same booking (200): the
    route books one hold and the hot path another, then each answers the other's again."""
    first, second = await _free_holds(world, 2)
    by_route, by_hot = await _book(routed, world, first), await _book(world.client, world, second)
    again_by_hot, again_by_route = await _book(world.client, world, first), await _book(routed, world, second)
    assert (by_route[0], by_hot[0], again_by_hot[0], again_by_route[0]) == (201, 201, 200, 200)
    # headers and bytes; the 201 alone names the booking it created (Location), on both paths
    assert (_unlocated(again_by_hot[1]), again_by_hot[2]) == (_unlocated(by_route[1]), by_route[2])
    assert (_unlocated(again_by_route[1]), again_by_route[2]) == (_unlocated(by_hot[1]), by_hot[2])
    for created in (by_route, by_hot):
        assert ("location", f"/v1/bookings/{json.loads(created[2])['id']}") in created[1]


def _unlocated(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Without ``Location`` and the rate-limit tokens left (each request takes one)."""
    return [(name, value) for name, value in headers if name not in ("location", "x-ratelimit-remaining")]


@pytest.mark.parametrize(
    ("case", "status"),
    [("unknown_hold", 404), ("released_hold", 409), ("bad_email", 400), ("wrong_type", 400), ("empty", 400)],
)
async def test_booking_refusals_are_answered_alike(
    world: World, routed: httpx.AsyncClient, case: str, status: int
) -> None:
    [hold_id] = await _free_holds(world, 1)
    if case == "released_hold":
        assert (await world.api.delete(f"/v1/holds/{hold_id}")).status_code == 200
    bodies = {
        "unknown_hold": {"hold_id": str(uuid4())},
        "released_hold": {"hold_id": hold_id},
        "bad_email": {"hold_id": hold_id, "contact_email": "not an address"},
        "wrong_type": {"hold_id": 7},
        "empty": {},
    }
    body = json.dumps(bodies[case]).encode()
    expected = await _send(routed, body, _keyed(world) | {"X-Correlation-ID": "b"}, "/v1/bookings")
    got = await _send(world.client, body, _keyed(world) | {"X-Correlation-ID": "b"}, "/v1/bookings")
    _assert_alike(got, expected)
    assert got[0] == status, got[2]


async def _commands_run(world: World) -> dict[str, int]:
    stats: dict[str, Any] = await world.container.gateways.redis().info("commandstats")
    return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items() if name != "cmdstat_info"}


@pytest.mark.parametrize("keyed", [False, True])
async def test_a_latched_sold_out_refusal_is_answered_alike(
    world: World, routed: httpx.AsyncClient, keyed: bool
) -> None:
    """On the redis engine the second refusal comes from the process's sold-out latch, without
    Redis: the same bytes as the engine's own refusal, on the hot path and on the route."""
    redis_engine = world.container.settings().inventory_engine == "redis"
    if redis_engine:  # (the world runs no lifespan, which would start it)
        await world.container.gateways.inventory().sold_out.ready()
    listing, pools = await make_listing(world.api, (("a", 2, 1000),))
    placed = await world.api.post(
        "/v1/holds", json.loads(_body(listing, pools["a"], lines=[{"pool_id": pools["a"], "quantity": 2}]))
    )
    assert placed.status_code == 201, placed.text
    headers = {**JSON, **({"Idempotency-Key": "latched"} if keyed else {})}
    # The route's refusal comes from Redis and latches; the hot path's (keyed: the route's again,
    # under its own key) from the latch. ``_both`` checks their bytes are equal.
    first = await _both(world, routed, _body(listing, pools["a"]), headers)
    assert first[0] == 409
    assert json.loads(first[2])["pools"] == [{"pool_id": pools["a"], "available": 0}]
    before = await _commands_run(world) if redis_engine else {}
    again = await _both(world, routed, _body(listing, pools["a"]), headers)
    assert again[0] == 409
    assert json.loads(again[2]) == {**json.loads(first[2]), "correlation_id": json.loads(again[2])["correlation_id"]}
    if redis_engine:
        assert world.container.gateways.inventory().sold_out.latched(UUID(listing))
        if not keyed:  # (keyed: the same keys again are replays, and replays read Redis)
            # nothing but each request's rate-limit check (the limiter lives in Redis too): one
            # script call each, the route's and the hot path's, reading and writing two buckets
            after = await _commands_run(world)
            grown = {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name)}
            assert grown == {"evalsha": 2, "hmget": 4, "hset": 4, "pexpire": 4}
