"""Text a client sends is judged once, at the edge, alike on both profiles.

Postgres cannot store a NUL in text and SQLite can: before, a NUL in a listing name was a 201
on the embedded default and a 500 on the production profile, and a NUL customer reference
went into Redis and then stopped the hold journal for everyone. Now every text field of every
/v1 input refuses control characters with 400 ``validation_failed`` naming the field, and
nothing changes. The table below is checked against the OpenAPI document, so a new text field
cannot be left out of it.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from infrastructure.persistence.tables import bookings
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing

# NUL, ESC (terminal escapes), DEL, a C1 control (NEL), and line breaks in a one-line field.
CONTROL = ["\x00", "\x1b[31m", "\x7f", "\x85", "\r"]
NEWLINES = ["\n", "\t"]  # refused in one-line fields, kept in free text (reasons)
CONFIRMED = "holdfast.booking.confirmed.v1"


@dataclass
class Scene:
    """One of everything a mutating route can act on, for the tenant ``acme``."""

    listing_id: str
    pool_id: str
    hold_id: str
    booking_id: str


async def _scene(world: World) -> Scene:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    booking = await book(world, (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"])
    held = await hold(world.api, listing_id, {pools["a"]: 1}, customer="cust-2")
    assert held.status_code == 201, held.text
    created = await world.api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})
    assert created.status_code == 201, created.text
    return Scene(listing_id, pools["a"], held.json()["id"], booking["id"])


async def _state(api: Api, scene: Scene) -> dict[str, Any]:
    """Everything the tenant can read that a mutating route could have changed."""
    paths = [
        "/v1/listings",
        f"/v1/listings/{scene.listing_id}/pools",
        f"/v1/listings/{scene.listing_id}/availability",
        f"/v1/holds/{scene.hold_id}",
        "/v1/bookings",
        "/v1/webhook-endpoints",
    ]
    return {path: (await api.get(path)).json() for path in paths}


@dataclass(frozen=True)
class Field:
    """A text field of a route's body, with a valid body around it."""

    method: str
    path: str
    body: dict[str, Any]
    name: str  # as in the OpenAPI document; ``[]`` marks the items of a list
    multiline: bool = False

    def with_value(self, value: str) -> dict[str, Any]:
        """The body with ``value`` at ``name`` (dotted for nested objects: ``details.venue``;
        ``a[].b``: ``b`` of the first item of list ``a``)."""
        body = copy.deepcopy(self.body)
        *parents, last = self.name.split(".")
        here: Any = body
        for part in parents:
            here = here[part.removesuffix("[]")][0] if part.endswith("[]") else here[part]
        key = last.removesuffix("[]")
        here[key] = [value] if last.endswith("[]") else value
        return body

    @property
    def error_field(self) -> str:
        """How a problem names the field: the first item of each list."""
        return self.name.replace("[]", "[0]")


PASSWORD = "correct horse battery"
ROOM = {"code": "double", "name": "Double", "units": 2, "base_price": 100, "currency": "EUR"}
STAY_HOLD = {"room_type": "double", "check_in": "2030-01-05", "check_out": "2030-01-07", "customer_ref": "c"}
BLOCK = {"room_type": "double", "start": "2030-01-05", "end": "2030-01-06"}
NOBODY = "00000000-0000-4000-8000-000000000000"
REGISTER = {"tenant_id": NOBODY, "email": "r@example.com", "password": PASSWORD, "name": "R"}
LOGIN = {"tenant_id": NOBODY, "email": "r@example.com", "password": PASSWORD}
ME = {"name": "Me", "password": PASSWORD, "current_password": PASSWORD}
POOL = {"code": "b", "capacity": 1, "unit_price": 100, "currency": "EUR", "name": "Balcony"}
SHOW = {
    "venue": "Coliseu",
    "performances": [
        {"code": "fri", "name": "Friday", "starts_at": "2027-05-07T20:00:00Z", "ends_at": "2027-05-07T23:00:00Z"}
    ],
}
FLIGHT = {
    "origin": "LIS",
    "destination": "AMS",
    "flight_number": "HF101",
    "departs_at": "2027-05-07T07:00:00Z",
    "arrives_at": "2027-05-07T10:55:00Z",
    "aircraft": "A320",
}
STAY = {"address": "1 Harbour Row", "check_in": "15:00", "check_out": "11:00", "time_zone": "Europe/Lisbon"}
CABIN = {"code": "eco", "name": "Economy", "first_row": 1, "last_row": 2, "letters": "AB", "price": 100}
SEAT_MAP = {"currency": "EUR", "cabins": [CABIN]}
SEAT_MAP_TEXT = ("currency", "cabins[].code", "cabins[].name", "cabins[].letters")
SEAT_HOLD = {"seat": "1A", "cabin": "eco", "customer_ref": "c"}
PRICING = {
    "currency": "EUR",
    "seasons": [{"name": "High", "starts_on": "2030-06-01", "ends_on": "2030-06-30", "unit_price": 100}],
    "weekday_rates": [{"name": "Weekend", "weekdays": ["sat"], "adjust_bp": 1000}],
    "fees": [{"name": "Cleaning", "kind": "fixed", "value": 100}],
    "taxes": [{"name": "City tax", "kind": "percent", "value": 500}],
}
PRICING_TEXT = ("currency", "seasons[].name", "weekday_rates[].name", "fees[].name", "taxes[].name")
SHOW_TEXT = ("details.venue", "details.performances[].code", "details.performances[].name")
FLIGHT_TEXT = ("details.origin", "details.destination", "details.flight_number", "details.aircraft")
STAY_TEXT = ("details.address", "details.check_in", "details.check_out", "details.time_zone")
KINDS = (("event_show", SHOW, SHOW_TEXT), ("flight", FLIGHT, FLIGHT_TEXT), ("stay_property", STAY, STAY_TEXT))


def _detail(kind: str, details: dict[str, Any], name: str, patch: bool) -> Field:
    """A detail's field on POST /v1/listings, or on PATCH (the scene's listing is a show: another
    kind's details would be refused there anyway, but a control character is refused first,
    at the edge, naming its field)."""
    if patch:
        return Field("patch", "/v1/listings/{listing_id}", {"details": details}, name)
    return Field("post", "/v1/listings", {"kind": kind, "name": "L", "details": details}, name)


FIELDS = [
    Field("post", "/v1/listings", {"kind": "event_show", "name": "Show"}, "name"),
    Field("post", "/v1/listings/{listing_id}/pools", POOL, "code"),
    Field("post", "/v1/listings/{listing_id}/pools", POOL, "name"),
    Field("post", "/v1/listings/{listing_id}/pools", POOL, "currency"),
    Field("post", "/v1/holds", {"listing_id": "{listing_id}", "lines": "{lines}", "customer_ref": "c"}, "customer_ref"),
    Field("post", "/v1/bookings", {"hold_id": "{hold_id}", "contact_email": "a@example.com"}, "contact_email"),
    Field("post", "/v1/bookings/{booking_id}/cancel", {"reason": "r"}, "reason", multiline=True),
    Field("post", "/v1/bookings/{booking_id}/refunds", {"reason": "r"}, "reason", multiline=True),
    Field("post", "/v1/webhook-endpoints", {"url": "https://hooks.example.com/x"}, "url"),
    Field("post", "/v1/webhook-endpoints", {"url": "https://hooks.example.com/x"}, "event_types[]"),
    *(Field("post", "/v1/auth/register", REGISTER, name) for name in ("email", "password", "name")),
    *(Field("post", "/v1/auth/login", LOGIN, name) for name in ("email", "password")),
    Field("post", "/v1/auth/refresh", {"refresh_token": "t"}, "refresh_token"),
    Field("post", "/v1/auth/logout", {"refresh_token": "t"}, "refresh_token"),
    *(
        Field("post", "/v1/auth/accept-invitation", {"token": "t", "password": PASSWORD}, n)
        for n in ("token", "password")
    ),
    *(Field("patch", "/v1/auth/me", ME, name) for name in ("name", "password", "current_password")),
    *(
        Field("post", "/v1/staff", {"email": "s@example.com", "name": "S", "role": "staff"}, n)
        for n in ("email", "name")
    ),
    Field("post", "/v1/api-keys", {"label": "till", "role": "staff"}, "label"),
    *(Field("post", "/v1/listings/{listing_id}/room-types", ROOM, n) for n in ("code", "name", "currency")),
    *(Field("post", "/v1/listings/{listing_id}/stay-holds", STAY_HOLD, n) for n in ("room_type", "customer_ref")),
    Field("put", "/v1/listings/{listing_id}/stay-rules", {"room_type": "double"}, "room_type"),
    *(Field("post", "/v1/listings/{listing_id}/blocks", BLOCK, n) for n in ("room_type", "reason")),
    # The catalogue: a listing's details (their fields follow its kind), its and a pool's name.
    *(
        _detail(kind, details, name, patch)
        for kind, details, names in KINDS
        for name in names
        for patch in (False, True)
    ),
    Field("patch", "/v1/listings/{listing_id}", {"name": "Show"}, "name"),
    Field("patch", "/v1/pools/{pool_id}", {"name": "Stalls"}, "name"),
    # Seat maps, seat holds (the scene's listing is a show: refused, whatever the body), prices, quotes.
    *(Field("put", "/v1/listings/{listing_id}/seat-map", SEAT_MAP, n) for n in SEAT_MAP_TEXT),
    *(Field("post", "/v1/listings/{listing_id}/seat-holds", SEAT_HOLD, n) for n in ("seat", "cabin", "customer_ref")),
    *(Field("put", "/v1/listings/{listing_id}/pricing", PRICING, n) for n in PRICING_TEXT),
    Field(
        "post", "/v1/quotes", {"listing_id": "{listing_id}", "lines": "{lines}", "customer_ref": "c"}, "customer_ref"
    ),
]
# Where a control character would be the only flaw, a value that is otherwise valid.
SAMPLE = {
    "code": "b{}",
    "room_type": "b{}",
    "currency": "EUR{}",
    "contact_email": "a{}b@example.com",
    "url": "https://hooks.example.com/{}",
    "event_types[]": CONFIRMED + "{}",
    "email": "a{}b@example.com",
    "password": "correct horse{}battery",
    "current_password": "correct horse{}battery",
}


def _filled(value: Any, scene: Scene) -> Any:
    if value == "{lines}":
        return [{"pool_id": scene.pool_id, "quantity": 1}]
    if isinstance(value, str):
        return value.format(**vars(scene)) if value.startswith("{") else value
    return value


def _request(field: Field, scene: Scene, value: str) -> tuple[str, dict[str, Any]]:
    body = {key: _filled(item, scene) for key, item in field.with_value(value).items()}
    return field.path.format(**vars(scene)), body


def assert_refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert any(error["field"].removeprefix("$.") == field for error in problem["errors"]), problem


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f"{f.path} {f.name}")
async def test_control_characters_in_a_text_field_are_refused_and_change_nothing(world: World, field: Field) -> None:
    scene = await _scene(world)
    before = await _state(world.api, scene)
    refused = CONTROL + ([] if field.multiline else NEWLINES)

    for bad in refused:
        path, body = _request(field, scene, SAMPLE.get(field.name, "ab{}cd").format(bad))
        response = await getattr(world.api, field.method)(path, body)
        assert_refused(response, field.error_field)

    assert await _state(world.api, scene) == before


async def test_a_reason_keeps_its_line_breaks_and_tabs(world: World) -> None:
    scene = await _scene(world)
    reason = "the show moved:\n\tsee the new date"
    response = await world.api.post(f"/v1/bookings/{scene.booking_id}/cancel", {"reason": reason})
    assert response.status_code == 200, response.text
    assert response.json()["history"][-1]["reason"] == reason


def _text_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the free-text strings (no enum, no format) of a request body schema."""
    if "$ref" in schema:
        return _text_fields(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], prefix)
    if "oneOf" in schema:
        return [name for option in schema["oneOf"] for name in _text_fields(spec, option, prefix)]
    if schema.get("type") == "object":
        return [
            name
            for key, child in schema.get("properties", {}).items()
            for name in _text_fields(spec, child, f"{prefix}.{key}" if prefix else key)
        ]
    if schema.get("type") == "array":
        return _text_fields(spec, schema["items"], f"{prefix}[]")
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        return [prefix]
    return []


async def test_the_table_covers_every_text_field_of_every_body(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is not None:
                found |= {(method, path, name) for name in _text_fields(spec, content["schema"])}
    covered = {(field.method, field.path, field.name) for field in FIELDS}
    assert found == covered


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\n"])
async def test_a_customer_filter_with_control_characters_is_refused(world: World, bad: str) -> None:
    await _scene(world)
    response = await world.api.get("/v1/bookings", params={"customer_ref": f"cust{bad}1"})
    assert_refused(response, "customer_ref")


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/v1/listings", "/v1/bookings", "/v1/webhook-endpoints", "/v1/ops/webhooks"])
@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("\x00", id="nul"),
        pytest.param(_cursor("2030-01-01T00:00:00+00:00|evt_\x00"), id="nul inside"),
        pytest.param("A" * 5000, id="huge"),
    ],
)
async def test_a_cursor_with_control_characters_is_refused(world: World, operator: Api, path: str, cursor: str) -> None:
    api = operator if path.startswith("/v1/ops") else world.api
    response = await api.get(path, params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize("event_id", ["evt%00x", "evt%1Bx", "evt%0A"])
async def test_an_event_id_with_control_characters_is_refused(world: World, operator: Api, event_id: str) -> None:
    response = await operator.post(f"/v1/ops/webhooks/{event_id}/replay")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"


async def test_a_job_name_with_a_trailing_newline_is_refused(world: World, operator: Api) -> None:
    response = await operator.post("/v1/ops/jobs/expire_holds%0A/run")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("k\x00", id="nul"),
        pytest.param("k\x1b", id="esc"),
        pytest.param("k\t", id="tab"),
        pytest.param("k\x7f", id="del"),
        pytest.param("k" * 256, id="too long"),
        pytest.param("k" * 100_000, id="huge"),
    ],
)
async def test_a_hostile_idempotency_key_is_refused_and_changes_nothing(world: World, key: str) -> None:
    scene = await _scene(world)
    before = await _state(world.api, scene)
    body = {"listing_id": scene.listing_id, "customer_ref": "c", "lines": [{"pool_id": scene.pool_id, "quantity": 1}]}

    response = await world.api.post("/v1/holds", body, headers={"Idempotency-Key": key})

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_idempotency_key"
    assert await _state(world.api, scene) == before


CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param("abc\n", id="trailing newline"),
        pytest.param("abc\nX-Injected: 1", id="header injection"),
        pytest.param("a\x00b", id="nul"),
        pytest.param("a\x1b[2Jb", id="terminal escape"),
        pytest.param("a" * 129, id="too long"),
        pytest.param("a" * 100_000, id="huge"),
    ],
)
async def test_a_hostile_correlation_id_is_replaced_never_echoed(world: World, hostile: str) -> None:
    response = await world.api.get("/v1/listings", headers={"X-Correlation-ID": hostile})
    assert response.status_code == 200, response.text
    echoed = response.headers["x-correlation-id"]
    assert CORRELATION.fullmatch(echoed)
    assert echoed != hostile


async def test_a_booking_whose_stored_email_predates_the_stricter_rule_stays_readable(world: World) -> None:
    """Rules for what is taken may tighten; what was taken before must still be read (a booking
    that cannot be read fails its GET, and every relay or notification batch holding it)."""
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    created = await world.api.post("/v1/bookings", {"hold_id": hold_id, "contact_email": "a@example.com"})
    assert created.status_code == 201, created.text
    legacy = "old(style)@10.0.0.1"  # taken by the looser rule of before
    async with world.container.gateways.database().transaction() as session:
        where = bookings.c.id == UUID(created.json()["id"])
        await session.execute(update(bookings).where(where).values(contact_email=legacy))

    shown = await world.api.get(f"/v1/bookings/{created.json()['id']}")

    assert shown.status_code == 200, shown.text
    assert shown.json()["contact_email"] == legacy
    assert await world.container.use_cases.relay_outbox()() >= 1
