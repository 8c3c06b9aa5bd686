"""Running Alembic from code (the CLI, the test set-up), so nobody needs alembic.ini by heart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config

from infrastructure.persistence.database import ensure_sqlite_folder

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite"):
        ensure_sqlite_folder(database_url)
    _outside_any_loop(lambda: command.upgrade(alembic_config(database_url), revision))


def downgrade(database_url: str, revision: str) -> None:
    _outside_any_loop(lambda: command.downgrade(alembic_config(database_url), revision))


def _outside_any_loop(work: Callable[[], None]) -> None:
    """Alembic's env.py runs its own event loop, which cannot start inside a running one: from
    async code (a test fixture, say) the work runs in a thread while the caller waits."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()
