"""The ``holdfast`` command: serve, migrate, load demo data, manage tenants, sweep holds.

Thin by design: each command resolves what it needs from the same container as the API.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from application.audit import acting_as, system_context
from infrastructure import migrations
from infrastructure.settings import Settings
from interfaces.cli_errors import CliError, HoldfastGroup
from interfaces.cli_reconcile import reconcile

if TYPE_CHECKING:
    from application.ports.jobs import QueueStats
    from infrastructure.container import Container

T = TypeVar("T")


def _settings() -> Settings:
    return Settings.from_env()  # a SettingsError names the variable (see cli_errors)


def _run(work: Callable[[Container], Awaitable[T]]) -> T:
    from infrastructure.container import build_container, close_container

    async def main() -> T:
        container = build_container(_settings())
        try:
            with acting_as(system_context("cli")):  # the audit log's actor of the command's writes
                return await work(container)
        finally:
            await close_container(container)

    return asyncio.run(main())


def _start_or_exit(settings: Settings) -> None:
    """Wait for the dependencies and check the schema before serving or working; exit 1 with
    the reason (naming the setting, or ``holdfast migrate``) when they are not there."""
    from infrastructure.logging import configure_logging
    from infrastructure.startup import StartupError, check_startup

    configure_logging(settings)
    try:
        asyncio.run(check_startup(settings))
    except StartupError as exc:
        click.echo(f"holdfast: {exc}", err=True)
        sys.exit(1)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from infrastructure.diagnostics import read_build_info

    build = read_build_info()
    click.echo(
        f"holdfast {build.version} (commit {build.commit}, migrations head {build.migration_head}, "
        f"Python {build.python})"
    )
    ctx.exit()


@click.group(cls=HoldfastGroup)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, commit and migration head, and exit.",
)
def main() -> None:
    """Holdfast: holds that never oversell."""


@main.command()
@click.option("--revision", default="head", show_default=True)
def migrate(revision: str) -> None:
    """Upgrade the database schema."""
    migrations.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


# ignore_unknown_options: `-1` (one revision down) is the argument, not an unknown option.
@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the database schema to REVISION: -1 for one step down, a revision id, or base."""
    url = _settings().database_url
    migrations.downgrade(url, revision)
    click.echo(f"database at {asyncio.run(_database_revision(url)) or 'base (no schema)'}")


async def _database_revision(url: str) -> str | None:
    from infrastructure.health import current_revision
    from infrastructure.persistence.database import Database

    database = Database(url, pool_size=1)
    try:
        return await current_revision(database)
    finally:
        await database.dispose()


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo tenant, a show, a flight and a property (once); development only."""
    from interfaces.demo import load_demo

    if (environment := _settings().environment) != "development":
        # The demo key is published in the README: in production it would open the demo tenant to anyone.
        click.echo(f"holdfast: seed-demo refused: HOLDFAST_ENV={environment} (the demo API key is public)", err=True)
        sys.exit(2)
    key, created = _run(load_demo)
    click.echo(("demo data loaded" if created else "demo data already present") + f"; demo API key: {key}")


@main.command("create-tenant")
@click.argument("name")
def create_tenant(name: str) -> None:
    """Register a tenant and print its API key (shown once)."""
    from application.use_cases.register_tenant import RegisterTenant

    async def work(container: Container) -> Any:
        return await container.use_cases.register_tenant()(RegisterTenant(name))

    registered = _run(work)
    click.echo(f"tenant {registered.tenant.id} created; API key (shown once): {registered.api_key}")


@main.command("create-operator-key")
@click.argument("tenant_name")
def create_operator_key(tenant_name: str) -> None:
    """Issue an operator key (for /v1/ops) to an existing tenant and print it (shown once)."""
    from application.use_cases.authorize_operator import OPERATOR_SCOPE
    from application.use_cases.issue_api_key import IssueApiKey

    command = IssueApiKey(tenant_name, label="operator", scopes=(OPERATOR_SCOPE,))

    async def work(container: Container) -> str:
        return await container.use_cases.issue_api_key()(command)

    key = _run(work)
    click.echo(f"operator key for {tenant_name!r} (shown once): {key}")


@main.command("create-user")
@click.argument("tenant_name")
@click.argument("email")
@click.option("--name", default="Operator", show_default=True, help="the user's name")
@click.option(
    "--role",
    type=click.Choice(["admin", "manager", "staff", "owner", "accountant"]),
    default="admin",
    show_default=True,
)
@click.password_option(help="asked for (twice) when left out")
def create_user(tenant_name: str, email: str, name: str, role: str, password: str) -> None:
    """Make a staff user of a tenant who can sign in at once. An operator (who has an operator
    key but no user) makes an admin of the console's tenant (HOLDFAST_CONSOLE_TENANT, "operator")
    this way to sign in at /console."""
    from application.use_cases.identity.console import CreateUser
    from domain.roles import Role

    command = CreateUser(tenant_name, email, name, Role(role), password)

    async def work(container: Container) -> Any:
        return await container.use_cases.create_user()(command)

    user = _run(work)
    click.echo(f"user {user.id} ({user.email}, {user.role.value}) of {tenant_name!r} created")


@main.command("issue-key")
@click.argument("tenant_name")
@click.option("--label", default="issued", show_default=True, help="what the key is for")
@click.option(
    "--role",
    type=click.Choice(["admin", "manager", "staff", "owner", "accountant"]),
    default="admin",
    show_default=True,
    help="the role the key acts in (README, Roles and API keys); customers sign in as users",
)
def issue_key(tenant_name: str, label: str, role: str) -> None:
    """Issue another API key to an existing tenant, in a role, and print it (shown once)."""
    from application.use_cases.issue_api_key import IssueApiKey
    from domain.roles import Role

    command = IssueApiKey(tenant_name, label=label, role=Role(role))

    async def work(container: Container) -> str:
        return await container.use_cases.issue_api_key()(command)

    key = _run(work)
    click.echo(f"{role} key for {tenant_name!r} (shown once): {key}")


@main.command("revoke-key")
@click.option("--key", prompt="API key to revoke", hide_input=True, help="the plain key (asked for when left out)")
def revoke_key(key: str) -> None:
    """Revoke an API key: every process refuses it within HOLDFAST_CATALOGUE_MAX_AGE_SECONDS
    with the redis engine (at once, normally: pub/sub), HOLDFAST_CATALOGUE_CHECK_SECONDS with
    the sql engine, at once with the memory engine."""

    async def work(container: Container) -> None:
        await container.use_cases.revoke_api_key()(key)

    _run(work)
    click.echo("API key revoked")


GRACE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}
_GRACE = re.compile(r"(\d{1,9})([smhd]?)")


def _grace(_ctx: click.Context, _param: click.Parameter, text: str | None) -> timedelta:
    """``--grace``: a whole number of seconds, or of minutes, hours or days with a unit; judged
    before the key is asked for."""
    from application.use_cases.rotate_api_key import MAX_GRACE

    found = _GRACE.fullmatch(text.strip()) if text is not None else _GRACE.fullmatch("0")
    grace = None if found is None else timedelta(seconds=int(found[1]) * GRACE_UNITS[found[2]])
    if grace is None or grace > MAX_GRACE:
        raise CliError(
            f"bad --grace {text!r}: a whole number with s, m, h or d, for example 15m (at most {MAX_GRACE.days}d)"
        )
    return grace


@main.command("rotate-key")
@click.option("--key", prompt="API key to rotate", hide_input=True, help="the plain key (asked for when left out)")
@click.option(
    "--grace",
    callback=_grace,
    metavar="DURATION",
    help="leave the old key working this long, then it stops by itself: seconds (90) or 90s, 15m, 2h, 7d; "
    "at most 90d [default: 0, the old key stops at once]",
)
@click.option(
    "--keep-old",
    is_flag=True,
    help="leave the old key working with no end; end it with `holdfast revoke-key` once clients moved",
)
def rotate_key(key: str, grace: timedelta, keep_old: bool) -> None:
    """Issue a new key for the same tenant and scopes and print it (shown once); the old key
    stops at once, after --grace, or (--keep-old) when revoked."""
    from application.use_cases.rotate_api_key import RotateApiKey

    command = RotateApiKey(key, keep_old, grace)  # an InvalidValueError is said in one line (cli_errors)

    async def work(container: Container) -> Any:
        return await container.use_cases.rotate_api_key()(command)

    rotated = _run(work)  # an unknown or revoked key is a DomainError: one line, exit 2 (cli_errors)
    fate = _old_key_fate(rotated.old_key_ends, grace)
    click.echo(f"new API key (shown once): {rotated.key}; role {rotated.role}, as the old key's; the old key {fate}")


def _old_key_fate(ends: datetime | None, grace: timedelta) -> str:
    if ends is None:
        return "still works: revoke it with holdfast revoke-key"
    if not grace:
        return "is revoked"
    return f"works until {ends.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}, then stops by itself"


@main.command("expire-holds")
def expire_holds() -> None:
    """Expire due holds once, returning their units."""

    async def work(container: Container) -> int:
        return len(await container.use_cases.expire_holds()())

    click.echo(f"expired {_run(work)} holds")


@main.command("purge-idempotency")
def purge_idempotency() -> None:
    """Delete idempotency records older than HOLDFAST_IDEMPOTENCY_TTL_HOURS (their keys become reusable)."""

    async def work(container: Container) -> int:
        return int(await container.use_cases.purge_idempotency_keys()())

    click.echo(f"purged {_run(work)} idempotency records")


@main.command()
def worker() -> None:
    """Run the SAQ worker: every background job and the cron schedule (needs HOLDFAST_JOBS=saq)."""
    from interfaces.workers.saq_worker import run_worker

    settings = _settings()
    if settings.jobs != "saq":
        raise CliError("the worker runs SAQ jobs: set HOLDFAST_JOBS=saq (and HOLDFAST_REDIS_URL)")
    _start_or_exit(settings)
    asyncio.run(run_worker(settings))


@main.group()
def jobs() -> None:
    """Background jobs: the queue, dead letters, replays."""


@jobs.command("status")
def jobs_status() -> None:
    """How many jobs wait, are scheduled or run, how many dead letters wait, and which jobs fail."""
    settings = _settings()

    async def work(container: Container) -> Any:
        return await container.use_cases.get_jobs_status()()

    found = _run(work)
    click.echo(f"{_queue_line(settings, found.queue)}; dead letters {found.dead_letters}")
    for job in found.failing:
        click.echo(f"failing: {job.job}, its last {job.rounds} rounds since {job.first_failed_at:%Y-%m-%d %H:%M:%S}")
        click.echo(f"    {_last_line(job.last_error)}")


def _queue_line(settings: Settings, queue: QueueStats) -> str:
    """SAQ's queue is in Redis, where any process can count it. The in-process queue lives in
    the memory of each `holdfast serve` process: this command's own is always empty, so it
    says where the real counts are rather than print zeros. Dead letters and failing rounds are
    in the database: those are every process's."""
    if settings.jobs == "saq":
        return f"queued {queue.queued}, scheduled {queue.scheduled}, active {queue.active}"
    return (
        "queue: in-process, in each `holdfast serve` process's memory, not countable from here "
        "(ask the service: GET /v1/ops/jobs, or holdfast_job_queue_depth on /metrics)"
    )


@jobs.command("dead-letters")
@click.option("--all", "include_replayed", is_flag=True, help="include letters replayed already")
def jobs_dead_letters(include_replayed: bool) -> None:
    """List jobs that failed every attempt, newest first."""

    async def work(container: Container) -> Any:
        return await container.use_cases.list_dead_letters()(include_replayed=include_replayed)

    letters = _run(work)
    if not letters:
        click.echo("none" if include_replayed else "none waiting (--all lists those replayed already)")
    for letter in letters:
        replayed = f" replayed {letter.replayed_at:%Y-%m-%d %H:%M:%S}" if letter.replayed_at else ""
        click.echo(f"{letter.id} {letter.failed_at:%Y-%m-%d %H:%M:%S} {letter.job} {dict(letter.args)}{replayed}")
        click.echo(f"    {letter.attempts} attempts; {_last_line(letter.error)}")


def _last_line(error: str) -> str:
    """A traceback's last line: the exception and its message."""
    return error.strip().splitlines()[-1] if error.strip() else ""


@jobs.command("replay")
@click.argument("letter_id", type=click.UUID)
def jobs_replay(letter_id: Any) -> None:
    """Enqueue a dead letter's job again (once; with HOLDFAST_JOBS=saq)."""
    if _settings().jobs != "saq":
        # This process's in-process queue is never started: the letter would be marked replayed
        # and its job would end with the process, never run.
        raise CliError(
            "the in-process queue runs inside `holdfast serve`: replay through it, with an operator key: "
            f"POST /v1/ops/jobs/dead-letters/{letter_id}/replay"
        )

    async def work(container: Container) -> Any:
        return await container.use_cases.replay_dead_letter()(letter_id)

    letter = _run(work)
    click.echo(f"replayed {letter.job} as job {letter.replay_job_id}")


@jobs.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run one round of a periodic job here and now, in the foreground (not through the queue)."""
    from infrastructure.jobs.policies import periodic_jobs
    from interfaces.workers.jobs import ForegroundContext, job_handlers

    if name not in periodic_jobs(_settings()):
        raise CliError(f"no periodic job {name!r}; try one of {', '.join(sorted(periodic_jobs(_settings())))}")

    async def work(container: Container) -> None:
        await job_handlers(container)[name](ForegroundContext(), {})

    _run(work)
    click.echo(f"ran {name}")


@main.command()
def serve() -> None:
    """Serve the API at HOLDFAST_HOST:HOLDFAST_PORT with HOLDFAST_WORKERS processes."""
    from interfaces.http.server import listen_problem
    from interfaces.http.server import serve as run_server

    settings = _settings()
    if problem := listen_problem(settings.host, settings.port):
        raise CliError(problem)
    _start_or_exit(settings)
    click.echo(
        f"Holdfast listening on http://{settings.host}:{settings.port} with {settings.workers} "
        f"worker process{'es' if settings.workers > 1 else ''} (docs: /schema)"
    )
    run_server(settings)


main.add_command(reconcile)


if __name__ == "__main__":
    main()
