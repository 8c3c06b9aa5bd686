"""The doors issue 10 found open, each walked with the request (or the setting, the command, the
file) that used to open it, and found closed.

The HTTP ones run on the e2e world (both profiles unless a door is only a production one); the
others read the settings, the CLI and the ops files as a deployment would.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner
from dependency_injector import providers
from sqlalchemy import func, select

from application.errors import UnauthenticatedError
from application.use_cases.register_tenant import RegisterTenant
from infrastructure import startup
from infrastructure.container import build_container, close_container
from infrastructure.mail.file_sink import FileEmailSender
from infrastructure.payments.fake_tables import fake_payment_webhooks
from infrastructure.payments.webhook_signing import sign_event
from infrastructure.persistence.delivery_tables import notifications, webhook_deliveries
from infrastructure.persistence.idempotency import idempotency_keys
from infrastructure.persistence.journal_tables import hold_journal
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.webhook_tables import webhook_events
from infrastructure.settings import DEV_WEBHOOK_SECRET, Settings, SettingsError
from interfaces.cli import main as holdfast_cli
from interfaces.http.app import create_app
from interfaces.http.strict_body import is_json_content_type
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import availability, hold, make_listing, pay
from tests.fakes.webhook_receiver import webhook_receiver

OPS = Path(__file__).resolve().parents[2] / "ops"
PASSWORD = "s3cret-pw"
STRIPE = {
    "HOLDFAST_PAYMENTS": "stripe",
    "HOLDFAST_STRIPE_API_KEY": "sk_live_123",
    "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_abc",
}
QUEUE_PASS_SECRET = {"HOLDFAST_QUEUE_PASS_SECRET": "queue-pass-secret-for-tests-only-0123456789"}
JWT_KEYS = "k1:" + "s" * 32  # production signs access tokens with keys of its own
PRODUCTION = {"HOLDFAST_ENV": "production", "HOLDFAST_JWT_KEYS": JWT_KEYS, **STRIPE, **QUEUE_PASS_SECRET}
production_only = pytest.mark.parametrize("settings", ["production"], indirect=True)


async def _pending_booking(world: World) -> dict[str, Any]:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    held = (await hold(world.api, listing_id, {pools["a"]: 1})).json()
    booking: dict[str, Any] = (await world.api.post("/v1/bookings", {"hold_id": held["id"]})).json()
    assert booking["status"] == "pending_payment"
    return booking


# --- development doors in production ---------------------------------------------------------


def test_production_refuses_fake_payments_unless_told_it_is_unsafe() -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS"):
        Settings.from_env({"HOLDFAST_ENV": "production"})  # fake is the default
    told = {"HOLDFAST_ENV": "production", "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS": "true", **QUEUE_PASS_SECRET}
    with pytest.raises(SettingsError, match="HOLDFAST_STRIPE_WEBHOOK_SECRET"):
        Settings.from_env(told)  # and not with the published development secret
    ours = {"HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_ours", "HOLDFAST_JWT_KEYS": JWT_KEYS}
    settings = Settings.from_env({**told, **ours})
    assert (settings.payments, settings.webhook_secret) == ("fake", "whsec_ours")


def test_the_public_development_secret_signs_nothing_outside_development() -> None:
    assert Settings(environment="production").webhook_secret != DEV_WEBHOOK_SECRET
    assert Settings().webhook_secret == DEV_WEBHOOK_SECRET  # development keeps its easy default


@production_only
async def test_a_webhook_signed_with_the_public_secret_is_refused_in_production(world: World) -> None:
    booking = await _pending_booking(world)
    event = {
        "id": "evt_forged",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(world.clock.now().timestamp()),
        "data": {"object": {"id": booking["payment"]["intent_id"], "object": "payment_intent"}},
    }
    forged = sign_event(event, DEV_WEBHOOK_SECRET, world.clock.now())

    answer = await world.client.post("/v1/webhooks/stripe", content=forged.payload, headers=forged.headers)

    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_signature")


@production_only
async def test_production_serves_no_dev_routes_even_with_fake_payments(world: World) -> None:
    booking = await _pending_booking(world)

    answer = await world.api.post(f"/v1/dev/bookings/{booking['id']}/pay")

    assert answer.status_code == 404
    assert (await world.api.get(f"/v1/bookings/{booking['id']}")).json()["status"] == "pending_payment"


def test_no_production_app_mounts_dev_routes(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    production = Settings(database_url=database_url, environment="production", allow_unsafe_fake_payments=True)
    development = Settings(database_url=database_url)
    assert not [r.path for r in create_app(production).routes if r.path.startswith("/v1/dev")]
    assert [r.path for r in create_app(development).routes if r.path.startswith("/v1/dev")]


def test_seed_demo_refuses_production(tmp_path: Path) -> None:
    database = tmp_path / "holdfast.db"
    env = {**PRODUCTION, "HOLDFAST_DATABASE_URL": f"sqlite:///{database}"}

    result = CliRunner().invoke(holdfast_cli, ["seed-demo"], env=env)

    assert result.exit_code == 2
    assert "seed-demo refused: HOLDFAST_ENV=production" in result.output
    assert "hf_demo" not in result.output
    assert not database.exists()  # nothing was written, not even an empty database


def _compose_environments() -> dict[str, dict[str, str]]:
    compose = yaml.safe_load((OPS / "docker-compose.yml").read_text())
    return {
        name: {key: str(value) for key, value in service["environment"].items()}
        for name, service in compose["services"].items()
        if service.get("image", "").startswith("holdfast")
    }


def test_compose_ships_no_production_with_fake_payments() -> None:
    for name, environment in _compose_environments().items():
        assert not (environment["HOLDFAST_ENV"] == "production" and environment["HOLDFAST_PAYMENTS"] == "fake"), name
        assert "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS" not in environment, name
        for secret in ("HOLDFAST_STRIPE_API_KEY", "HOLDFAST_STRIPE_WEBHOOK_SECRET"):
            assert re.fullmatch(r"\$\{" + secret + r":\?[^}]+\}", environment[secret]), "asked of the operator"


# --- secrets never echoed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOLDFAST_DATABASE_URL", f"mysql://holdfast:{PASSWORD}@db:3306/holdfast"),
        ("HOLDFAST_DATABASE_URL", f"holdfast:{PASSWORD}@db:5432/holdfast"),  # no scheme at all
        ("HOLDFAST_DATABASE_URL", f"postgresql://holdfast:{PASSWORD}@db:port/holdfast"),  # not a port
        ("HOLDFAST_REDIS_URL", f"http://:{PASSWORD}@cache:6379/0"),
        ("HOLDFAST_REDIS_URL", f"redis://:{PASSWORD}@cache:redis/0"),
        ("HOLDFAST_OTEL_ENDPOINT", f"grpc://otel:{PASSWORD}@collector:4317"),
        ("HOLDFAST_STRIPE_API_BASE", f"localhost:12111?password={PASSWORD}"),
    ],
)
def test_a_url_setting_refused_names_itself_but_not_its_password(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable) as refused:
        Settings.from_env({variable: value})
    assert PASSWORD not in str(refused.value)
    assert "***" in str(refused.value)


def test_the_cli_prints_a_refused_url_masked() -> None:
    env = {"HOLDFAST_DATABASE_URL": f"mysql://holdfast:{PASSWORD}@db/holdfast"}
    result = CliRunner().invoke(holdfast_cli, ["migrate"], env=env)
    assert result.exit_code == 2
    assert "HOLDFAST_DATABASE_URL" in result.output
    assert PASSWORD not in result.output


# --- outgoing webhooks (SSRF) and bounds, on an app of the test's own settings ---------------


@pytest.fixture
async def own_app(sqlite_url: str) -> AsyncIterator[Any]:
    """``await own_app(**settings)``: a tenant's client of an app built with those settings (on
    SQLite), production-like unless told: nothing in it is allowed that production would refuse."""
    containers: list[Any] = []

    async def build(**overrides: Any) -> Api:
        settings = Settings(database_url=sqlite_url, expiry_sweep_seconds=0, **overrides)
        container = build_container(settings)
        containers.append(container)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, container)), base_url="http://t"
        )
        key = (await container.use_cases.register_tenant()(RegisterTenant("acme"))).api_key
        return Api(client, key, None)  # type: ignore[arg-type]

    yield build
    for container in containers:
        await close_container(container)


def test_settings_built_in_code_refuse_private_targets_and_plain_http() -> None:
    settings = Settings()
    assert not settings.allows_private_webhook_targets
    assert not settings.allows_plain_http_webhooks
    production = Settings.from_env(PRODUCTION)
    assert not production.allows_private_webhook_targets
    assert not production.allows_plain_http_webhooks


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1/hooks", "127.0.0.1 is not a public address"),
        ("https://localhost:8443/hooks", "is not a public address"),
        ("https://[::1]/hooks", "::1 is not a public address"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public address"),
        ("http://hooks.example.com/in", "plain http:// is refused"),
    ],
)
async def test_a_target_production_would_never_send_to_is_refused_at_registration(
    own_app: Any, url: str, why: str
) -> None:
    api = await own_app(environment="production", allow_unsafe_fake_payments=True)

    answer = await api.post("/v1/webhook-endpoints", {"url": url})

    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_webhook_url")
    assert why in answer.json()["detail"]
    assert (await api.get("/v1/webhook-endpoints")).json()["items"] == []


async def test_endpoints_per_tenant_are_capped(own_app: Any) -> None:
    api = await own_app(max_webhook_endpoints=2)
    made = [await api.post("/v1/webhook-endpoints", {"url": f"https://hooks{n}.example.com/in"}) for n in range(2)]

    third = await api.post("/v1/webhook-endpoints", {"url": "https://hooks3.example.com/in"})

    assert [answer.status_code for answer in made] == [201, 201]
    assert (third.status_code, third.json()["code"]) == (409, "too_many_webhook_endpoints")
    assert len((await api.get("/v1/webhook-endpoints")).json()["items"]) == 2


async def test_pools_per_listing_are_capped(own_app: Any) -> None:
    api = await own_app(max_pools_per_listing=2)
    listing_id, _ = await make_listing(api, (("a", 5, 100), ("b", 5, 100)))

    third = await api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "c", "capacity": 5, "unit_price": 100, "currency": "EUR"}
    )

    assert (third.status_code, third.json()["code"]) == (409, "too_many_pools")
    assert len((await api.get(f"/v1/listings/{listing_id}/pools")).json()["items"]) == 2


async def test_a_listing_and_its_pools_come_a_page_at_a_time(world: World) -> None:
    listing_id, pools = await make_listing(world.api, tuple((f"p{n}", 1, 100) for n in range(5)))

    shown = (await world.api.get(f"/v1/listings/{listing_id}?limit=2")).json()
    seen = [pool["id"] for pool in shown["pools"]]
    cursor = shown["pools_next_cursor"]
    while cursor is not None:
        page = (await world.api.get(f"/v1/listings/{listing_id}/pools", params={"limit": 2, "cursor": cursor})).json()
        seen += [pool["id"] for pool in page["items"]]
        cursor = page["next_cursor"]

    assert len(shown["pools"]) == 2
    assert sorted(seen) == sorted(pools.values())  # each once
    unbounded = await world.api.get(f"/v1/listings/{listing_id}/pools?limit=100000")
    assert (unbounded.status_code, unbounded.json()["code"]) == (400, "validation_failed")


@production_only
async def test_pools_of_two_currencies_added_at_once_leave_one_currency(world: World) -> None:
    """The one-currency rule used to be check-then-insert: two pools added at once in two
    currencies both saw no sibling and both went in. Under the listing's lock, one waits."""
    listings = [(await make_listing(world.api, ()))[0] for _ in range(10)]

    async def add(listing_id: str, code: str, currency: str) -> int:
        body = {"code": code, "capacity": 1, "unit_price": 100, "currency": currency}
        status: int = (await world.api.post(f"/v1/listings/{listing_id}/pools", body)).status_code
        return status

    results = await asyncio.gather(
        *(add(listing, code, currency) for listing in listings for code, currency in (("e", "EUR"), ("u", "USD")))
    )

    assert sorted(results) == [201] * 10 + [400] * 10
    for listing_id in listings:
        items = (await world.api.get(f"/v1/listings/{listing_id}/pools")).json()["items"]
        assert len({pool["unit_price"]["currency"] for pool in items}) == 1


# --- input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json", None])
async def test_a_json_body_under_another_content_type_is_415_and_holds_nothing(
    world: World, content_type: str | None
) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    body = json.dumps(
        {"listing_id": listing_id, "customer_ref": "c", "lines": [{"pool_id": pools["a"], "quantity": 1}]}
    )
    headers = {"X-API-Key": world.api.key} | ({} if content_type is None else {"Content-Type": content_type})

    answer = await world.client.post("/v1/holds", content=body, headers=headers)

    assert (answer.status_code, answer.json()["code"]) == (415, "unsupported_media_type")
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


@pytest.mark.parametrize(
    ("value", "json_"),
    [
        ("application/json", True),
        (b"application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("application/cloudevents+json; charset=UTF-8", True),
        ("application/+json", False),
        ("text/plain", False),
        ("text/json", False),
        ("application/jsonp", False),
        ("multipart/form-data; boundary=x", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_json(value: str | bytes | None, json_: bool) -> None:
    assert is_json_content_type(value) is json_


def test_every_operation_with_a_json_body_documents_415(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    with_body = [
        (method, path)
        for path, item in (app.openapi_schema.paths or {}).items()
        for method in ("post", "put", "patch", "delete")
        if (operation := getattr(item, method, None)) is not None and operation.request_body is not None
    ]
    undocumented = [
        (method, path)
        for method, path in with_body
        if "415" not in (getattr(app.openapi_schema.paths[path], method).responses or {})  # type: ignore[index]
    ]
    assert len(with_body) > 5
    assert undocumented == []


# --- API keys --------------------------------------------------------------------------------


async def _authenticates(database_url: str, key: str) -> bool:
    container = build_container(Settings(database_url=database_url))
    try:
        await container.use_cases.authenticate()(key)
    except UnauthenticatedError:
        return False
    finally:
        await close_container(container)
    return True


@pytest.mark.parametrize("keep_old", [False, True])
def test_rotate_key_issues_a_new_key_and_revokes_the_old_unless_kept(sqlite_url: str, keep_old: bool) -> None:
    env = {"HOLDFAST_DATABASE_URL": sqlite_url}
    created = CliRunner().invoke(holdfast_cli, ["create-tenant", "acme"], env=env)
    old = created.output.rsplit("(shown once): ", 1)[1].strip()

    rotated = CliRunner().invoke(
        holdfast_cli, ["rotate-key", *(["--keep-old"] if keep_old else [])], env=env, input=f"{old}\n"
    )

    assert rotated.exit_code == 0, rotated.output
    new = rotated.output.rsplit("(shown once): ", 1)[1].split(";", 1)[0].strip()
    assert new.startswith("hf_")
    assert new != old
    assert old not in rotated.output  # asked for without echo, never printed back
    assert asyncio.run(_authenticates(sqlite_url, new))
    assert asyncio.run(_authenticates(sqlite_url, old)) is keep_old
    if keep_old:  # the grace period ends with revoke-key
        assert CliRunner().invoke(holdfast_cli, ["revoke-key", "--key", old], env=env).exit_code == 0
        assert not asyncio.run(_authenticates(sqlite_url, old))


def test_an_unknown_or_revoked_key_cannot_be_rotated(sqlite_url: str) -> None:
    env = {"HOLDFAST_DATABASE_URL": sqlite_url}
    refused = CliRunner().invoke(holdfast_cli, ["rotate-key", "--key", "hf_nobody"], env=env)
    assert refused.exit_code == 2  # a problem the user can fix, as every other command's
    assert "not found" in refused.output


# --- one-time secrets in stored responses --------------------------------------------------


async def _stored_idempotency_bytes(world: World) -> bytes:
    """Everything the idempotency store holds, as a copy of the database or of Redis would."""
    if world.container.core.settings().inventory_engine == "redis":
        redis = world.container.gateways.redis()
        names = [name async for name in redis.scan_iter(match="*:idem:*", _type="HASH")]  # not the age index
        assert names
        values = [await redis.hgetall(name) for name in names]
        return b"".join(names) + b"".join(k + v for record in values for k, v in record.items())
    async with world.container.gateways.database().transaction() as session:
        rows = (await session.execute(select(idempotency_keys))).all()
    assert rows
    return b"".join(repr(tuple(row)).encode() + bytes(row.response_body or b"") for row in rows)


async def test_a_secret_shown_once_is_not_kept_readable_by_the_idempotency_store(world: World) -> None:
    key = "create-endpoint-7f9c2d1e-5b1a-4c3e-9a0f-2d8e6b4c1a77"
    body = {"url": "https://hooks.example.com/in"}
    headers = {"Idempotency-Key": key}

    created = await world.api.post("/v1/webhook-endpoints", body, headers=headers)
    replayed = await world.api.post("/v1/webhook-endpoints", body, headers=headers)

    secret = created.json()["secret"]
    assert created.status_code == 201
    assert (replayed.content, replayed.headers["idempotent-replayed"]) == (created.content, "true")
    stored = await _stored_idempotency_bytes(world)
    assert secret.encode() not in stored
    assert secret.removeprefix("hfwhsec_").encode() not in stored
    assert key.encode() not in stored  # the key opens the record: it is not kept beside it
    assert b"hooks.example.com" not in stored  # the whole body is sealed, not only the secret


# --- retention -----------------------------------------------------------------------------


async def _counts(world: World) -> dict[str, int]:
    tables = {
        "webhook_events": webhook_events,
        "webhook_deliveries": webhook_deliveries,
        "notifications": notifications,
        "outbox": outbox,
        "hold_journal": hold_journal,
        "fake_payment_webhooks": fake_payment_webhooks,
    }
    async with world.container.gateways.database().reading() as session:
        return {
            name: int((await session.execute(select(func.count()).select_from(t))).scalar_one())
            for name, t in tables.items()
        }


async def test_finished_records_are_purged_after_the_retention_and_work_to_do_is_kept(
    world: World, tmp_path: Path
) -> None:
    """The tables that grew for ever: the webhook inbox, the outbox, deliveries, emails, the hold
    journal and the fake gateway's queued webhooks."""
    world.container.gateways.email.override(providers.Object(FileEmailSender(tmp_path / "mail", "H <h@example.com>")))
    async with webhook_receiver() as receiver:
        await world.api.post("/v1/webhook-endpoints", {"url": receiver.url()})
        listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
        held = (await hold(world.api, listing_id, {pools["a"]: 1})).json()
        booking = (
            await world.api.post("/v1/bookings", {"hold_id": held["id"], "contact_email": "ann@example.com"})
        ).json()
        await pay(world, booking)  # the inbox gets Stripe's event
        await world.api.post(f"/v1/bookings/{booking['id']}/cancel")  # a refund: the fake queues a webhook
        use_cases = world.container.use_cases
        await use_cases.relay_outbox()()
        while await use_cases.deliver_webhooks()():
            pass
        await use_cases.send_notifications()()
        if world.container.gateways.hold_journal() is not None:
            await use_cases.journal_holds()()
    # Work still to do: an endpoint nothing answers keeps its deliveries pending.
    await world.api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/never"})
    bobs = await hold(world.api, listing_id, {pools["a"]: 1}, customer="bob")
    assert bobs.status_code == 201, bobs.text
    later, free_pools = await make_listing(world.api, (("b", 5, 0),))
    free = (await hold(world.api, later, {free_pools["b"]: 1})).json()
    await world.api.post("/v1/bookings", {"hold_id": free["id"]})
    await world.container.use_cases.relay_outbox()()
    if world.container.gateways.hold_journal() is not None:
        await world.container.use_cases.journal_holds()()
    before = await _counts(world)

    world.clock.advance(31 * 24 * 3600)
    purged = await world.container.use_cases.purge_old_records()()
    after = await _counts(world)

    for table in ("webhook_events", "webhook_deliveries", "notifications", "outbox", "fake_payment_webhooks"):
        assert purged[table] > 0, (table, purged)
        assert after[table] == before[table] - purged[table]
    pending = await _pending_deliveries(world)
    assert pending > 0  # the unanswered endpoint's deliveries are still there, with their events
    assert after["webhook_deliveries"] == pending
    assert after["outbox"] > 0
    if world.container.gateways.hold_journal() is not None:
        assert purged["hold_journal"] > 0
        assert after["hold_journal"] >= 1, (before, purged)  # bob's hold, still active
    assert await world.container.use_cases.purge_old_records()() == dict.fromkeys(purged, 0)  # again: nothing


async def _pending_deliveries(world: World) -> int:
    async with world.container.gateways.database().reading() as session:
        where = webhook_deliveries.c.status == "pending"
        return int(
            (await session.execute(select(func.count()).select_from(webhook_deliveries).where(where))).scalar_one()
        )


def test_a_start_up_reason_quoting_a_url_is_masked() -> None:
    """A driver may put the URL it was given in its error; the start-up wait logs that reason and
    exits with it, so the URLs' passwords are masked in it first."""
    settings = Settings(
        database_url=f"postgresql+asyncpg://holdfast:{PASSWORD}@db:5432/holdfast",
        redis_url=f"redis://:{PASSWORD}2@cache:6379/0",
    )

    async def probe() -> str:
        return f"cannot reach postgresql://holdfast:{PASSWORD}@db:5432 nor redis://:{PASSWORD}2@cache"

    reason = asyncio.run(startup._scrubbed(probe, settings)())

    assert reason is not None
    assert PASSWORD not in reason
    assert reason == "cannot reach postgresql://holdfast:***@db:5432 nor redis://:***@cache"
