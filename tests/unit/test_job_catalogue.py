"""The job catalogue and its policies name the same jobs, and the settings that shape them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from click.testing import CliRunner

from application.ports.jobs import DeadLetter, JobPolicy
from infrastructure.container import build_container, close_container
from infrastructure.jobs.policies import WITH_ARGUMENTS, job_policies, periodic_jobs
from infrastructure.jobs.saq_queue import cron_expression
from infrastructure.settings import Settings, SettingsError
from interfaces.cli import main
from interfaces.workers.jobs import job_handlers

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_every_policy_has_a_handler_and_every_handler_a_policy(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert set(job_handlers(build_container(settings))) == set(job_policies(settings))
    assert set(job_policies(settings)) >= WITH_ARGUMENTS
    assert periodic_jobs(settings) == set(job_policies(settings)) - WITH_ARGUMENTS


def test_a_cron_period_of_zero_turns_that_schedule_off() -> None:
    policies = job_policies(Settings(expiry_sweep_seconds=0, webhook_retry_seconds=0))
    assert policies["expire_holds"].every is None
    assert policies["retry_webhook_events"].every is None
    assert job_policies(Settings())["expire_holds"].every == Settings().expiry_sweep_seconds


def test_backoff_doubles_up_to_its_cap_and_jitter_takes_at_most_half() -> None:
    policy = JobPolicy(retry_delay=2, max_retry_delay=10)
    assert [policy.delay_after(n, 1.0) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    assert [policy.delay_after(n, 0.0) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


@pytest.mark.parametrize(
    "policy",
    [{"timeout": 0}, {"attempts": 0}, {"retry_delay": 5, "max_retry_delay": 1}, {"every": 0}],
)
def test_inconsistent_policies_are_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"job|cron"):
        JobPolicy(**policy)


@pytest.mark.parametrize(
    ("every", "expression"),
    [(1, "* * * * * */1"), (5, "* * * * * */5"), (60, "*/1 * * * *"), (300, "*/5 * * * *"), (3600, "0 */1 * * *")],
)
def test_cron_periods_become_cron_expressions(every: float, expression: str) -> None:
    assert cron_expression(every) == expression


def test_the_queue_setting_is_read_and_checked() -> None:
    assert Settings.from_env({}).jobs == "in-process"
    chosen = Settings.from_env({"HOLDFAST_JOBS": "saq", "HOLDFAST_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert chosen.jobs == "saq"
    with pytest.raises(SettingsError, match="HOLDFAST_JOBS=saq needs HOLDFAST_REDIS_URL"):
        Settings.from_env({"HOLDFAST_JOBS": "saq"})
    with pytest.raises(SettingsError, match="HOLDFAST_JOBS"):
        Settings.from_env({"HOLDFAST_JOBS": "celery"})
    with pytest.raises(SettingsError, match="HOLDFAST_WORKER_CONCURRENCY"):
        Settings.from_env({"HOLDFAST_WORKER_CONCURRENCY": "0"})


def test_the_worker_refuses_to_start_without_saq(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOLDFAST_JOBS", raising=False)
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == 2
    assert "HOLDFAST_JOBS=saq" in result.output


def test_running_an_unknown_job_by_hand_names_the_known_ones() -> None:
    result = CliRunner().invoke(main, ["jobs", "run", "nope"])
    assert result.exit_code == 2
    assert "expire_holds" in result.output


def test_operators_read_and_replay_dead_letters_and_run_jobs_from_the_command_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOLDFAST_DATABASE_URL", sqlite_url)
    letter = DeadLetter(uuid4(), "purge_idempotency", {"n": 1}, None, "Traceback\nValueError: nope", 5, NOW)

    async def add() -> None:
        container = build_container(Settings(database_url=sqlite_url))
        await container.gateways.dead_letters().add(letter)
        await close_container(container)

    asyncio.run(add())
    runner = CliRunner()

    listed = runner.invoke(main, ["jobs", "dead-letters"])
    assert listed.exit_code == 0, listed.output
    assert str(letter.id) in listed.output
    assert "5 attempts; ValueError: nope" in listed.output
    assert "dead letters 1" in runner.invoke(main, ["jobs", "status"]).output

    # On the in-process queue a replay goes through the service (this process's queue never
    # runs); with SAQ, see tests/integration/test_cli_errors.py.
    refused = runner.invoke(main, ["jobs", "replay", str(letter.id)])
    assert refused.exit_code == 2, refused.output
    assert f"POST /v1/ops/jobs/dead-letters/{letter.id}/replay" in refused.output
    assert str(letter.id) in runner.invoke(main, ["jobs", "dead-letters"]).output

    ran = runner.invoke(main, ["jobs", "run", "expire_holds"])
    assert (ran.exit_code, ran.output.strip()) == (0, "ran expire_holds")


def test_jobs_status_names_a_periodic_job_failing_round_after_round(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOLDFAST_DATABASE_URL", sqlite_url)

    async def fail_rounds() -> None:
        container = build_container(Settings(database_url=sqlite_url))
        for _ in range(3):
            await container.gateways.failed_rounds().failed("relay_outbox", "Traceback\nOSError: relay down")
        await close_container(container)

    asyncio.run(fail_rounds())
    status = CliRunner().invoke(main, ["jobs", "status"])
    assert status.exit_code == 0, status.output
    assert "failing: relay_outbox, its last 3 rounds since" in status.output
    assert "OSError: relay down" in status.output


def test_the_rounds_before_a_dead_letter_are_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().job_dead_after_rounds == 5
    monkeypatch.setenv("HOLDFAST_JOB_DEAD_AFTER_ROUNDS", "12")
    assert Settings.from_env().job_dead_after_rounds == 12
    monkeypatch.setenv("HOLDFAST_JOB_DEAD_AFTER_ROUNDS", "0")
    with pytest.raises(SettingsError, match="HOLDFAST_JOB_DEAD_AFTER_ROUNDS"):
        Settings.from_env()
