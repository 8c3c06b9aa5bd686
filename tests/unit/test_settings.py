"""Settings come from HOLDFAST_* variables; a bad one fails at start-up and names itself."""

from __future__ import annotations

import pytest

from infrastructure.settings import DEV_WEBHOOK_SECRET, Settings, SettingsError


def test_defaults_are_the_embedded_profile() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.inventory_engine) == ("127.0.0.1", 8000, "sql")
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.redis_url is None


def test_production_profile() -> None:
    settings = Settings.from_env(
        {
            "HOLDFAST_DATABASE_URL": "postgresql://u:p@db:5432/holdfast",
            "HOLDFAST_REDIS_URL": "redis://cache:6379/0",
            "HOLDFAST_INVENTORY_ENGINE": "redis",
            "HOLDFAST_ENV": "production",
            "HOLDFAST_PORT": "9000",
            "HOLDFAST_PAYMENTS": "stripe",
            "HOLDFAST_STRIPE_API_KEY": "sk_live_123",
            "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_abc",
            "HOLDFAST_QUEUE_PASS_SECRET": "queue-pass-secret-for-tests-only-0123456789",
            "HOLDFAST_JWT_KEYS": "k1:" + "s" * 32,
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/holdfast"
    assert (settings.inventory_engine, settings.environment, settings.port) == ("redis", "production", 9000)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOLDFAST_PORT", "eighty"),
        ("HOLDFAST_PORT", "70000"),
        ("HOLDFAST_INVENTORY_ENGINE", "mongo"),
        ("HOLDFAST_DATABASE_URL", "mysql://x"),
        ("HOLDFAST_REDIS_URL", "http://x"),
        ("HOLDFAST_ENV", "staging"),
        ("HOLDFAST_EXPIRY_SWEEP_SECONDS", "-1"),
        ("HOLDFAST_DB_POOL_SIZE", "0"),
        ("HOLDFAST_PAYMENTS", "paypal"),
        ("HOLDFAST_STRIPE_API_KEY", "pk_live_publishable"),
        ("HOLDFAST_STRIPE_WEBHOOK_SECRET", "sk_test_swapped"),
        ("HOLDFAST_STRIPE_API_BASE", "localhost:12111"),
        ("HOLDFAST_SOLD_OUT_LATCH_MS", "-1"),
        ("HOLDFAST_SOLD_OUT_LATCH_MS", "0.5"),
    ],
)
def test_a_bad_setting_names_itself(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_the_sold_out_latch_lasts_250_ms_unless_set() -> None:
    assert Settings.from_env({}).sold_out_latch_ms == 250
    assert Settings.from_env({"HOLDFAST_SOLD_OUT_LATCH_MS": "0"}).sold_out_latch_ms == 0


def test_the_redis_engine_needs_a_redis_url() -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_REDIS_URL"):
        Settings.from_env({"HOLDFAST_INVENTORY_ENGINE": "redis"})


def test_payments_are_fake_by_default_signed_with_a_development_secret() -> None:
    settings = Settings.from_env({})
    assert (settings.payments, settings.stripe_api_key, settings.webhook_secret) == ("fake", None, DEV_WEBHOOK_SECRET)


def test_stripe_payments() -> None:
    settings = Settings.from_env(
        {
            "HOLDFAST_PAYMENTS": "stripe",
            "HOLDFAST_STRIPE_API_KEY": "sk_test_123",
            "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_abc",
            "HOLDFAST_STRIPE_API_BASE": "http://127.0.0.1:12111/",
        }
    )
    assert (settings.payments, settings.stripe_api_key, settings.webhook_secret) == (
        "stripe",
        "sk_test_123",
        "whsec_abc",
    )
    assert settings.stripe_api_base == "http://127.0.0.1:12111"


@pytest.mark.parametrize("missing", ["HOLDFAST_STRIPE_API_KEY", "HOLDFAST_STRIPE_WEBHOOK_SECRET"])
def test_stripe_payments_need_a_key_and_a_webhook_secret(missing: str) -> None:
    environ = {
        "HOLDFAST_PAYMENTS": "stripe",
        "HOLDFAST_STRIPE_API_KEY": "rk_live_restricted",
        "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_abc",
    }
    del environ[missing]
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(environ)


def test_queue_passes_need_the_operators_secret_outside_development() -> None:
    production = {"HOLDFAST_ENV": "production", "HOLDFAST_PAYMENTS": "stripe", "HOLDFAST_STRIPE_API_KEY": "sk_1"}
    production["HOLDFAST_STRIPE_WEBHOOK_SECRET"] = "whsec_abc"
    production["HOLDFAST_JWT_KEYS"] = "k1:" + "s" * 32
    with pytest.raises(SettingsError, match="HOLDFAST_QUEUE_PASS_SECRET"):
        Settings.from_env(production)
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({**production, "HOLDFAST_QUEUE_PASS_SECRET": "short"})
    secret = "x" * 32
    assert Settings.from_env({**production, "HOLDFAST_QUEUE_PASS_SECRET": secret}).queue_pass_key == secret
    # built in code outside development: a key of this process's own, never the public one
    assert Settings(environment="production").queue_pass_key != Settings().queue_pass_key
