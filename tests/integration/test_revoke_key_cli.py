"""`holdfast revoke-key`: the key stops authenticating; an unknown or revoked key is refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from application.errors import UnauthenticatedError
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings

HOLDFAST = [sys.executable, "-m", "interfaces.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _holdfast(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOLDFAST, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


async def _tenant_of(database_url: str, key: str) -> str:
    container = build_container(Settings(database_url=database_url))
    try:
        tenant = (await container.use_cases.authenticate()(key)).tenant
    finally:
        await close_container(container)
    return tenant.name


def test_a_revoked_key_no_longer_authenticates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'holdfast.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOLDFAST_DATABASE_URL": url}
    assert _holdfast(env, "migrate").returncode == 0
    created = _holdfast(env, "create-tenant", "acme")
    key = created.stdout.rsplit("(shown once): ", 1)[1].strip()
    async_url = url.replace("sqlite://", "sqlite+aiosqlite://")
    assert asyncio.run(_tenant_of(async_url, key)) == "acme"

    revoked = _holdfast(env, "revoke-key", stdin=f"{key}\n")  # asked for, never on the command line
    again = _holdfast(env, "revoke-key", "--key", key)

    assert revoked.returncode == 0, revoked.stderr
    assert again.returncode == 2  # a known problem: one line, status 2 (interfaces/cli_errors.py)
    assert "not found" in again.stderr
    with pytest.raises(UnauthenticatedError):
        asyncio.run(_tenant_of(async_url, key))
