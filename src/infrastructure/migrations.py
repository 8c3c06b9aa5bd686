"""Running Alembic from code (the CLI, the test set-up), so nobody needs alembic.ini by heart."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from infrastructure.persistence.database import ensure_sqlite_folder
from infrastructure.resources import alembic_ini, migrations_dir


def alembic_config(database_url: str) -> Config:
    """The scripts are found wherever the code is installed (infrastructure.resources), not
    next to the working directory."""
    config = Config(str(alembic_ini()))
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite"):
        ensure_sqlite_folder(database_url)
    _outside_any_loop(lambda: command.upgrade(alembic_config(database_url), revision))


def downgrade(database_url: str, revision: str) -> None:
    _outside_any_loop(lambda: command.downgrade(alembic_config(database_url), revision))


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision of this code's migration scripts (read once: they do not change under a
    running process)."""
    script = ScriptDirectory.from_config(alembic_config(""))
    return frozenset(revision.revision for revision in script.walk_revisions())


def schema_problem(revision: str | None, head: str | None) -> str | None:
    """None when a database at ``revision`` is what code whose migrations end at ``head`` needs;
    else what is wrong and what to do, for operators (readiness, a refused start-up)."""
    if revision == head:
        return None
    if revision is None:
        return f"the database has no schema yet (this code needs revision {head}): run `holdfast migrate`"
    if revision in known_revisions():
        return f"the database is at revision {revision}, behind this code's {head}: run `holdfast migrate`"
    return (
        f"the database is at revision {revision}, which this code (head {head}) does not know: it was "
        f"migrated by newer code; run that code, or downgrade with it (`holdfast downgrade {head}`) first"
    )


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
