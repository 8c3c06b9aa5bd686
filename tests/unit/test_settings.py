"""Settings come from HOLDFAST_* variables; a bad one fails at start-up and names itself."""

from __future__ import annotations

import pytest

from infrastructure.settings import Settings, SettingsError


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
    ],
)
def test_a_bad_setting_names_itself(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_the_redis_engine_needs_a_redis_url() -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_REDIS_URL"):
        Settings.from_env({"HOLDFAST_INVENTORY_ENGINE": "redis"})
