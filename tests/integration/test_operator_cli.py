"""`holdfast create-operator-key`: the key it prints opens /v1/ops, and only for operators."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from application.errors import ForbiddenError
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings

HOLDFAST = [sys.executable, "-m", "interfaces.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _holdfast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOLDFAST, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


async def _authorize(database_url: str, key: str) -> str:
    container = build_container(Settings(database_url=database_url))
    try:
        principal = await container.use_cases.authorize_operator()(key)
    finally:
        await close_container(container)
    return principal.tenant.name


def test_an_operator_key_is_issued_to_an_existing_tenant(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'holdfast.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOLDFAST_DATABASE_URL": url}
    assert _holdfast(env, "migrate").returncode == 0
    tenant = _holdfast(env, "create-tenant", "ops")
    missing = _holdfast(env, "create-operator-key", "nobody")
    issued = _holdfast(env, "create-operator-key", "ops")

    assert missing.returncode == 2  # a known problem: one line, status 2 (interfaces/cli_errors.py)
    assert "tenant nobody not found" in missing.stderr
    assert issued.returncode == 0, issued.stderr
    operator_key = issued.stdout.rsplit("(shown once): ", 1)[1].strip()
    tenant_key = tenant.stdout.rsplit("(shown once): ", 1)[1].strip()
    async_url = url.replace("sqlite://", "sqlite+aiosqlite://")
    assert asyncio.run(_authorize(async_url, operator_key)) == "ops"
    with pytest.raises(ForbiddenError):
        asyncio.run(_authorize(async_url, tenant_key))
