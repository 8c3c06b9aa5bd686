"""Diagnostics show the settings without their secrets, and name the build they came from."""

from __future__ import annotations

from pathlib import Path

from infrastructure.diagnostics import build_commit, mask_secret, mask_url, masked_settings, migration_head
from infrastructure.settings import Settings

PASSWORD = "s3cr3t-p@ss"
STRIPE_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUvWxYz0123"
WEBHOOK_SECRET = "whsec_0123456789abcdefghijWXYZ"


def test_masked_settings_never_show_a_secret_whole() -> None:
    settings = Settings.from_env(
        {
            "HOLDFAST_DATABASE_URL": f"postgresql://holdfast:{PASSWORD}@db:5432/holdfast",
            "HOLDFAST_REDIS_URL": f"redis://:{PASSWORD}@cache:6379/0",
            "HOLDFAST_PAYMENTS": "stripe",
            "HOLDFAST_STRIPE_API_KEY": STRIPE_KEY,
            "HOLDFAST_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )

    shown = masked_settings(settings)

    for secret in (PASSWORD, STRIPE_KEY, WEBHOOK_SECRET):
        assert secret not in repr(shown)
    assert shown["database_url"] == "postgresql+asyncpg://holdfast:***@db:5432/holdfast"
    assert shown["redis_url"] == "redis://:***@cache:6379/0"
    assert shown["stripe_api_key"] == "sk_test_…0123"
    assert shown["stripe_webhook_secret"] == "whsec_…WXYZ"
    assert shown["payments"] == "stripe"


def test_urls_without_a_password_are_unchanged_and_query_passwords_are_masked() -> None:
    assert mask_url("sqlite+aiosqlite:///var/holdfast.db") == "sqlite+aiosqlite:///var/holdfast.db"
    assert mask_url("redis://cache:6379/0") == "redis://cache:6379/0"
    assert mask_url(None) is None
    assert mask_url("unix:///run/redis.sock?db=1&password=hunter2") == "unix:///run/redis.sock?db=1&password=***"


def test_short_secrets_show_only_their_kind() -> None:
    assert mask_secret("sk_test_123") == "sk_test_…"
    assert mask_secret("rk_live_0123456789abcdef") == "rk_live_…cdef"
    assert mask_secret(None) is None


def test_the_commit_comes_from_the_environment_then_git_then_unknown(tmp_path: Path) -> None:
    assert build_commit({"HOLDFAST_BUILD_COMMIT": "abc123"}, tmp_path) == "abc123"
    assert build_commit({}, tmp_path) == "unknown"  # no .git here


def test_the_migration_head_is_the_newest_script() -> None:
    newest = sorted(p.name for p in (Path(__file__).parents[2] / "migrations" / "versions").glob("0*.py"))[-1]
    assert migration_head() == newest.partition("_")[0]  # the scripts name their revision first
