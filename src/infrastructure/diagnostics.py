"""What an operator asks a running instance: which build it is, and whether its setup is sane.

Secrets never leave here whole: URLs lose their passwords, Stripe keys keep only what tells
them apart (their kind and last four characters).
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from redis.asyncio import Redis

from application.ports.jobs import FailingJob, JobRoundStore
from infrastructure.health import PROBE_TIMEOUT_SECONDS, database_ready, redis_ready
from infrastructure.log_masking import MASK, mask_url
from infrastructure.migrations import alembic_config
from infrastructure.persistence.database import Database
from infrastructure.resources import CHECKOUT
from infrastructure.settings import Settings

UNKNOWN = "unknown"
_SECRET_KIND = re.compile(r"^[a-z]+_(?:test_|live_)?")


@dataclass(frozen=True, slots=True)
class BuildInfo:
    version: str
    commit: str
    migration_head: str | None
    python: str


@dataclass(frozen=True, slots=True)
class VersionReport:
    version: str
    commit: str
    migration_head: str | None
    database_revision: str | None
    python: str


@dataclass(frozen=True, slots=True)
class MigrationState:
    head: str | None
    database: str | None
    at_head: bool


@dataclass(frozen=True, slots=True)
class EnvSanity:
    status: str  # "ok" or "degraded"
    settings: dict[str, Any]
    dependencies: dict[str, str]  # name -> "ok" or why not
    migrations: MigrationState
    warnings: list[str] = field(default_factory=list)


def read_build_info(environ: Mapping[str, str] | None = None, root: Path = CHECKOUT) -> BuildInfo:
    """Read once at start-up: the commit and the scripts do not change under a running process."""
    try:
        package_version = version("holdfast")
    except PackageNotFoundError:
        package_version = UNKNOWN
    commit = build_commit(os.environ if environ is None else environ, root)
    return BuildInfo(package_version, commit, migration_head(), platform.python_version())


def build_commit(environ: Mapping[str, str], root: Path) -> str:
    """HOLDFAST_BUILD_COMMIT (images are built without .git), else the checkout's HEAD."""
    if commit := environ.get("HOLDFAST_BUILD_COMMIT", "").strip():
        return commit
    if not (root / ".git").exists():
        return UNKNOWN
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    return done.stdout.strip() or UNKNOWN


def migration_head() -> str | None:
    """The head revision of the migration scripts (the URL is not used to read them)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def database_revision(database: Database) -> str | None:
    """The revision in alembic_version; None for an unmigrated or unreachable database."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), database.engine.connect() as connection:
            return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    except Exception:  # a diagnostic: the database probe reports why it is down
        return None


async def version_report(build: BuildInfo, database: Database) -> VersionReport:
    revision = await database_revision(database)
    return VersionReport(build.version, build.commit, build.migration_head, revision, build.python)


def mask_secret(secret: str | None) -> str | None:
    """``sk_test_…WXYZ``: the kind of key and its last four; just the kind when it is too short."""
    if secret is None:
        return None
    found = _SECRET_KIND.match(secret)
    kind = found.group(0) if found else ""
    rest = secret.removeprefix(kind)
    return f"{kind}…{rest[-4:]}" if len(rest) >= 12 else f"{kind}…"


def masked_settings(settings: Settings) -> dict[str, Any]:
    shown = asdict(settings)
    for name in ("database_url", "redis_url"):
        shown[name] = mask_url(shown[name])
    for name in ("stripe_api_key", "stripe_webhook_secret"):
        shown[name] = mask_secret(shown[name])
    return shown


async def env_sanity(
    settings: Settings, database: Database, redis: Redis | None, head: str | None, rounds: JobRoundStore | None = None
) -> EnvSanity:
    checks = {"database": await database_ready(database)}
    if redis is not None:
        checks["redis"] = await redis_ready(redis)
    revision = await database_revision(database) if checks["database"] is None else None
    state = MigrationState(head, revision, revision == head)
    checks = {name: scrub_passwords(reason, settings) for name, reason in checks.items()}
    warnings = [f"{name} is unreachable: {reason}" for name, reason in checks.items() if reason is not None]
    if not state.at_head:
        warnings.append(f"the database is at revision {revision or 'none'}, not at the migration head {head}")
    elif rounds is not None:
        warnings += await _failing_warnings(rounds)
    status = "degraded" if warnings else "ok"
    dependencies = {name: reason or "ok" for name, reason in checks.items()}
    return EnvSanity(status, masked_settings(settings), dependencies, state, warnings)


async def _failing_warnings(rounds: JobRoundStore) -> list[str]:
    try:
        return [_failing_warning(job) for job in await rounds.failing()]
    except Exception as exc:  # a diagnostic: say what could not be read rather than fail
        return [f"could not read the periodic jobs' failed rounds: {type(exc).__name__}"]


def _failing_warning(job: FailingJob) -> str:
    last = job.last_error.strip().splitlines()[-1] if job.last_error.strip() else "no error text"
    since = f"{job.first_failed_at:%Y-%m-%d %H:%M:%S}"
    return f"job {job.job} failed its last {job.rounds} rounds in a row (since {since}): {last}"


def scrub_passwords(reason: str | None, settings: Settings) -> str | None:
    """A driver's error may quote the URL it was given: its password must not ride along."""
    passwords = {urlsplit(url).password for url in (settings.database_url, settings.redis_url) if url}
    for password in sorted(filter(None, passwords), key=len, reverse=True):  # one inside another: longest first
        reason = None if reason is None else reason.replace(password, MASK)
    return reason
