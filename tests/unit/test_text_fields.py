"""Every string a client can send is checked the same way: each free string (no enum, no format)
of every route's parameters (as the OpenAPI document shows them) and of every route's body (as
msgspec's own schema of the type the edge decodes with shows it) carries a pattern that refuses
control characters, judged here with Python's ``re`` as msgspec judges it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.create_webhook_endpoint import CreateWebhookEndpoint
from application.use_cases.place_hold import PlaceHold
from application.use_cases.process_webhook_event import describe
from application.use_cases.register_tenant import RegisterTenant
from domain.contacts import EmailAddress
from domain.errors import InvalidValueError
from domain.listings import ListingKind
from domain.text import printable
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.text import LINE_PATTERN, TEXT_PATTERN

CONTROL = ["\x00", "\x1b", "\x7f", "\x85", "\r"]
# Strings msgspec decodes as another type (its schema shows them without a format).
TYPED = {"post /v1/listings body.starts_at", "patch /v1/listings/{listing_id:uuid} body.starts_at"}  # RFC 3339
# A listing's details (both routes): RFC 3339 datetimes too.
TYPED |= {
    f"{route} body.details.{name}"
    for route in ("post /v1/listings", "patch /v1/listings/{listing_id:uuid}")
    for name in ("performances[].starts_at", "performances[].ends_at", "departs_at", "arrives_at")
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    path = tmp_path_factory.mktemp("spec")
    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{path}/x.db", expiry_sweep_seconds=0))


Defs = dict[str, Any]


def _strings(defs: Defs, schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every free string (no enum, no format) under ``schema``."""
    if "$ref" in schema:
        yield from _strings(defs, defs[schema["$ref"].rsplit("/", 1)[-1]], where)
    elif "anyOf" in schema or "oneOf" in schema:  # Litestar puts a parameter's constraints beside it
        outer = {key: value for key, value in schema.items() if key not in ("anyOf", "oneOf")}
        for option in schema.get("anyOf", schema.get("oneOf")):
            yield from _strings(defs, {**option, **outer}, where)
    elif schema.get("type") == "object":
        for key, child in schema.get("properties", {}).items():
            yield from _strings(defs, child, f"{where}.{key}")
    elif schema.get("type") == "array":
        yield from _strings(defs, schema["items"], f"{where}[]")
    elif schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        yield where, schema


def _parameters(app: Litestar) -> list[tuple[str, dict[str, Any]]]:
    spec = app.openapi_schema.to_schema()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] != "X-API-Key":  # compared with stored digests, never stored
                    where = f"{method} {path} {parameter['in']} {parameter['name']}"
                    found += _strings(spec["components"]["schemas"], parameter["schema"], where)
    return found


def _bodies(app: Litestar) -> list[tuple[str, dict[str, Any]]]:
    """From the type each handler's body is decoded with (the OpenAPI document drops the
    constraints of a list's items)."""
    found = []
    for route in app.routes:
        for method, (handler, _) in route.route_handler_map.items() if isinstance(route, HTTPRoute) else ():
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None:
                schema = msgspec.json.schema(data.annotation)
                found += _strings(schema.get("$defs", {}), schema, f"{method.lower()} {route.path} body")
    return found


def test_there_are_inputs_to_check(app: Litestar) -> None:
    names = {where for where, _ in _parameters(app) + _bodies(app)}
    assert "post /v1/holds body.customer_ref" in names
    assert "post /v1/webhook-endpoints body.event_types[]" in names
    assert "get /v1/bookings query customer_ref" in names
    assert "post /v1/ops/webhooks/{event_id}/replay path event_id" in names


def test_every_free_string_refuses_control_characters(app: Litestar) -> None:
    unguarded = []
    for where, schema in _parameters(app) + _bodies(app):
        if where in TYPED:
            continue
        pattern = schema.get("pattern")
        if pattern is None or any(re.search(pattern, f"ok{bad}") for bad in CONTROL):
            unguarded.append(where)
    assert unguarded == []


@pytest.mark.parametrize("pattern", [LINE_PATTERN, TEXT_PATTERN])
def test_the_text_patterns(pattern: str) -> None:
    assert re.search(pattern, "Zone A: balcón, row 3 ✓")
    assert not any(re.search(pattern, f"a{bad}b") for bad in CONTROL)
    assert bool(re.search(pattern, "two\nlines\tand a tab")) is (pattern == TEXT_PATTERN)


@pytest.mark.parametrize(
    "address",
    ["name@example.com", "j.doe+tag@mail.example.co.uk", "ü@xn--bcher-kva.ch", "a@example.c0m"],
)
def test_plausible_emails_are_taken(address: str) -> None:
    assert EmailAddress(address).value == address


@pytest.mark.parametrize(
    "address",
    [
        "a\x00b@example.com",
        "a\x1b@example.com",
        "a@example.com\n",
        "a b@example.com",
        "a@b@example.com",
        '"a"@example.com',
        "<a@example.com>",
        "@example.com",
        "a@",
        "a@example",
        "a@-example.com",
        "a@example-.com",
        "a@example..com",
        "a@.example.com",
        "a@ex_ample.com",
        "a@10.0.0.1",
        "a@bücher.ch",
        "x" * 65 + "@example.com",
        "a@" + "b" * 64 + ".com",
        "a@" + ("b" * 60 + ".") * 5 + "com",
    ],
)
def test_what_can_never_be_an_email_is_refused(address: str) -> None:
    with pytest.raises(InvalidValueError):
        EmailAddress(address)


def test_control_characters_are_echoed_escaped() -> None:
    assert printable("/v1/x\x00y\nz\x85 é") == "/v1/x\\x00y\\nz\\x85 é"


def test_errors_are_recorded_printable_and_short() -> None:
    """A message quoting text from outside (an SMTP reply, a provider's error) must be storable
    in a ``last_error`` column or a dead letter: Postgres refuses a NUL in text."""
    recorded = describe(RuntimeError("550 mailbox \x00unavailable\r\n" + "x" * 1000))
    assert recorded.startswith("RuntimeError: 550 mailbox \\x00unavailable\\r\\n")
    assert len(recorded) == 500


TENANT, LISTING = uuid4(), uuid4()
COMMANDS = [
    pytest.param(lambda bad: RegisterTenant(f"acme{bad}"), "name", id="tenant name"),
    pytest.param(lambda bad: RegisterTenant("acme", key_label=f"k{bad}"), "key_label", id="key label"),
    pytest.param(lambda bad: CreateListing(TENANT, ListingKind.FLIGHT, f"X{bad}"), "name", id="listing name"),
    pytest.param(lambda bad: CreatePool(TENANT, LISTING, f"a{bad}", 1, 0, "EUR"), "code", id="pool code"),
    pytest.param(lambda bad: CreatePool(TENANT, LISTING, "a", 1, 0, "EUR", f"A{bad}"), "name", id="pool name"),
    pytest.param(lambda bad: PlaceHold(TENANT, LISTING, f"c{bad}", ((uuid4(), 1),)), "customer_ref", id="customer"),
    pytest.param(lambda bad: CreateWebhookEndpoint(TENANT, f"https://x.example.com/{bad}"), "url", id="endpoint url"),
]


@pytest.mark.parametrize(("build", "field"), COMMANDS)
def test_commands_refuse_control_characters_whoever_sends_them(build: Any, field: str) -> None:
    """Defence in depth for callers other than the HTTP edge (the CLI, the demo loader): the
    commands that create what is later stored refuse what Postgres cannot store."""
    build("")  # the same command without the flaw is taken
    for bad in CONTROL:
        with pytest.raises(InvalidValueError) as refused:
            build(bad)
        assert refused.value.field == field
