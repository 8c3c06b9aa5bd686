"""The doors issue 10 found open, each walked with the request (or the setting, the command, the
file) that used to open it, and found closed.

The HTTP ones run on the e2e world (both profiles unless a door is only a production one); the
others read the settings, the CLI and the ops files as a deployment would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from infrastructure.payments.webhook_signing import sign_event
from infrastructure.settings import DEV_WEBHOOK_SECRET, Settings, SettingsError
from interfaces.cli import main as holdfast_cli
from interfaces.http.app import create_app
from tests.e2e.conftest import World
from tests.e2e.helpers import hold, make_listing

OPS = Path(__file__).resolve().parents[2] / "ops"
PASSWORD = "s3cret-pw"
STRIPE = {
    "HOLDFAST_PAYMENTS": "stripe",
    "HOLDFAST_STRIPE_API_KEY": "sk_live_123",
    "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_abc",
}
PRODUCTION = {"HOLDFAST_ENV": "production", **STRIPE}
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
    told = {"HOLDFAST_ENV": "production", "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS": "true"}
    with pytest.raises(SettingsError, match="HOLDFAST_STRIPE_WEBHOOK_SECRET"):
        Settings.from_env(told)  # and not with the published development secret
    settings = Settings.from_env({**told, "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_ours"})
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
