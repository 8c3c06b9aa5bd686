"""Commands write the audit log as ``system:cli``: a tenant registered, its key rotated and
revoked, each once, in the command's own transaction; a refused command writes nothing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from infrastructure.persistence.audit_tables import audit_logs
from infrastructure.persistence.database import Database
from tests.integration.test_revoke_key_cli import ROOT, _holdfast


async def _rows(url: str) -> list[Any]:
    database = Database(url)
    try:
        async with database.reading() as session:
            query = select(audit_logs).order_by(audit_logs.c.occurred_at, audit_logs.c.id)
            return list(await session.execute(query))
    finally:
        await database.dispose()


def test_key_lifecycle_commands_are_audited_as_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'holdfast.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOLDFAST_DATABASE_URL": url}
    assert _holdfast(env, "migrate").returncode == 0
    created = _holdfast(env, "create-tenant", "acme")
    key = created.stdout.rsplit("(shown once): ", 1)[1].strip()
    rotated = _holdfast(env, "rotate-key", "--key", key, "--grace", "0")
    assert rotated.returncode == 0, rotated.stderr
    new_key = rotated.stdout.split("(shown once): ", 1)[1].split(";", 1)[0].strip()
    assert _holdfast(env, "revoke-key", "--key", new_key).returncode == 0
    assert _holdfast(env, "revoke-key", "--key", new_key).returncode == 2  # refused: no row

    rows = asyncio.run(_rows(url.replace("sqlite://", "sqlite+aiosqlite://")))
    assert [(row.action, row.actor, row.role) for row in rows] == [
        ("tenant.register", "system:cli", "system"),
        ("api_key.rotate", "system:cli", "system"),
        ("api_key.revoke", "system:cli", "system"),
    ]
    assert len({row.tenant_id for row in rows}) == 1
    assert rows[1].entity_id == str(rows[0].after["first_key_id"])
    assert rows[2].entity_id == rows[1].after["new_key_id"]
    assert key not in str(rows)
    assert new_key not in str(rows)
