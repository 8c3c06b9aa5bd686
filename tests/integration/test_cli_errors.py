"""The `holdfast` command as a new user meets it: a problem of the input or the environment is
one line on stderr naming it, and exit status 2 (no Python traceback); --version, --help,
`downgrade -1`, and the job commands' wording."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from application.ports.jobs import DeadLetter
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from tests.databases import empty_postgres
from tests.integration.holdfast_cli import ROOT, cli_env, holdfast
from tests.servers import free_port

# Production with the fake gateway, as a test deployment must say it is (issue 10's safe defaults).
UNSAFE_FAKE_PAYMENTS = {
    "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS": "true",
    "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_cli",
    "HOLDFAST_JWT_KEYS": "cli:" + "k" * 40,  # production wants its own access-token keys too
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("holdfast: "), lines[0]
    for word in words:
        assert word in lines[0]


def test_a_tenant_registered_twice_or_nameless_is_one_line(env: dict[str, str]) -> None:
    assert holdfast(env, "migrate").returncode == 0
    assert holdfast(env, "create-tenant", "acme").returncode == 0
    assert_one_line(holdfast(env, "create-tenant", "acme"), "tenant 'acme' exists")
    assert_one_line(holdfast(env, "create-tenant", ""), "name")


def test_downgrade_takes_minus_one_as_its_help_says_and_names_an_unknown_revision(env: dict[str, str]) -> None:
    assert holdfast(env, "migrate").returncode == 0
    assert "-1" in holdfast(env, "downgrade", "--help").stdout
    down = holdfast(env, "downgrade", "-1")
    assert down.returncode == 0, down.stderr
    assert re.fullmatch(r"database at \d{4}\n", down.stdout), down.stdout
    assert_one_line(holdfast(env, "downgrade", "nonsense"), "nonsense")


def test_migrate_against_a_database_that_does_not_answer(env: dict[str, str]) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/holdfast"  # nothing listens there
    assert_one_line(holdfast({**env, "HOLDFAST_DATABASE_URL": closed}, "migrate"), "HOLDFAST_DATABASE_URL")


def test_a_folder_that_cannot_be_made_for_sqlite(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    url = f"sqlite:///{tmp_path / 'file' / 'holdfast.db'}"  # a folder under a plain file
    assert_one_line(holdfast({**env, "HOLDFAST_DATABASE_URL": url}, "migrate"), str(tmp_path / "file"))


def test_jobs_run_on_the_production_profile_with_no_schema_says_migrate(env: dict[str, str], postgres_url: str) -> None:
    url = empty_postgres(postgres_url, "holdfast_cli_unmigrated")
    stack = {**env, "HOLDFAST_DATABASE_URL": url, "HOLDFAST_ENV": "production", **UNSAFE_FAKE_PAYMENTS}
    stack["HOLDFAST_QUEUE_PASS_SECRET"] = "queue-pass-secret-for-tests-only-0123456789"
    assert_one_line(holdfast(stack, "jobs", "run", "expire_holds"), "holdfast migrate")


def test_jobs_status_with_redis_down_names_its_setting(env: dict[str, str]) -> None:
    assert holdfast(env, "migrate").returncode == 0
    saq = {**env, "HOLDFAST_JOBS": "saq", "HOLDFAST_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    assert_one_line(holdfast(saq, "jobs", "status"), "HOLDFAST_REDIS_URL")


def test_an_unknown_periodic_job_lists_the_known_ones(env: dict[str, str]) -> None:
    assert_one_line(holdfast(env, "jobs", "run", "nope"), "'nope'", "expire_holds")


def test_version() -> None:
    result = holdfast({**os.environ, "PYTHONPATH": str(ROOT / "src")}, "--version")
    assert result.returncode == 0, result.stderr
    assert re.match(r"holdfast \d+\.\d+\.\d+ \(commit \S+, migrations head \d{4}, Python 3\.", result.stdout)


@pytest.mark.parametrize("group", [(), ("jobs",)])
def test_help_shows_each_commands_whole_first_sentence(group: tuple[str, ...]) -> None:
    shown = holdfast({**os.environ, "PYTHONPATH": str(ROOT / "src")}, *group, "--help").stdout
    summaries = _command_summaries(shown)
    assert summaries
    for name, summary in summaries.items():
        assert summary.count("(") == summary.count(")"), f"{name}: {summary!r}"
        assert summary.endswith("."), f"{name}: {summary!r}"
        assert not summary.endswith("..."), f"{name}: {summary!r}"


def _command_summaries(help_text: str) -> dict[str, str]:
    """The Commands section as {command: summary}, wrapped lines joined."""
    summaries: dict[str, str] = {}
    name = ""
    for line in help_text.split("Commands:\n", 1)[1].splitlines():
        if match := re.match(r"  (\S+)\s+(.*)", line):
            name, summaries[match[1]] = match[1], match[2]
        elif line.strip():
            summaries[name] += " " + line.strip()
    return summaries


def test_jobs_dead_letters_says_none(env: dict[str, str]) -> None:
    assert holdfast(env, "migrate").returncode == 0
    assert holdfast(env, "jobs", "dead-letters").stdout.startswith("none")
    assert holdfast(env, "jobs", "dead-letters", "--all").stdout == "none\n"


def test_jobs_status_on_the_in_process_queue_shows_no_counts_it_cannot_see(env: dict[str, str]) -> None:
    """The in-process queue is in the memory of each `holdfast serve`: this process's own is
    empty, so zeros would be a lie while the service runs jobs."""
    assert holdfast(env, "migrate").returncode == 0
    shown = holdfast(env, "jobs", "status").stdout
    assert "queued 0" not in shown
    assert "in-process" in shown
    assert "GET /v1/ops/jobs" in shown
    assert "dead letters 0" in shown


def test_jobs_replay_on_the_in_process_queue_points_to_the_service(env: dict[str, str], sqlite_url: str) -> None:
    """The command's own in-process queue never runs: a replay there would mark the letter
    replayed and lose its job. It is refused before anything changes."""
    letter = asyncio.run(_a_dead_letter(sqlite_url))
    refused = holdfast({**env, "HOLDFAST_DATABASE_URL": sqlite_url}, "jobs", "replay", str(letter))
    assert_one_line(refused, f"POST /v1/ops/jobs/dead-letters/{letter}/replay")
    assert asyncio.run(_replayed_at(sqlite_url, letter)) is None


def test_jobs_replay_with_saq_queues_the_job_once(env: dict[str, str], sqlite_url: str, redis_url: str) -> None:
    letter = asyncio.run(_a_dead_letter(sqlite_url))
    own_redis = redis_url.rsplit("/", 1)[0] + "/11"  # a database of its own: the job is left queued there
    saq = {**env, "HOLDFAST_DATABASE_URL": sqlite_url, "HOLDFAST_JOBS": "saq", "HOLDFAST_REDIS_URL": own_redis}
    replayed = holdfast(saq, "jobs", "replay", str(letter))
    assert replayed.returncode == 0, replayed.stderr
    assert f"replay:{letter}" in replayed.stdout
    assert_one_line(holdfast(saq, "jobs", "replay", str(letter)), "replayed already")
    assert asyncio.run(_replayed_at(sqlite_url, letter)) is not None
    assert "none waiting" in holdfast(saq, "jobs", "dead-letters").stdout
    assert str(letter) in holdfast(saq, "jobs", "dead-letters", "--all").stdout


async def _a_dead_letter(url: str) -> UUID:
    container = build_container(Settings(database_url=url))
    try:
        args = {"reconciliation_id": str(uuid4())}
        letter = DeadLetter(uuid4(), "reconcile", args, None, "boom", 3, datetime.now(UTC))
        await container.gateways.dead_letters().add(letter)
    finally:
        await close_container(container)
    return letter.id


async def _replayed_at(url: str, letter_id: UUID) -> datetime | None:
    container = build_container(Settings(database_url=url))
    try:
        letter = await container.gateways.dead_letters().get(letter_id)
    finally:
        await close_container(container)
    assert letter is not None
    return letter.replayed_at
