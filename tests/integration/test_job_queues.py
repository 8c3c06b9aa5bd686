"""One contract for both job queues: the in-process one and SAQ on a real Redis server.

(What a killed SAQ worker's jobs become is in test_worker_crash.py: it needs a real process.)

Each test enqueues through the port and runs the adapter's own runner (the in-process tasks, or
a real SAQ worker), then checks what the handlers saw, what ended in the dead-letter list and
which periodic jobs are failing round after round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from loguru import logger

from application.ports.jobs import JobContext, JobHandler, JobOutcome, JobPolicy
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.jobs.failed_rounds import FailedRounds, SqlJobRoundStore
from infrastructure.jobs.in_process import InProcessJobQueue
from infrastructure.jobs.saq_queue import SaqJobQueue
from infrastructure.persistence.database import Database
from tests.databases import migrated_postgres, truncate_all
from tests.servers import free_port

NOW = datetime(2030, 1, 1, tzinfo=UTC)
FAST = JobPolicy(timeout=5, attempts=3, retry_delay=0.05, max_retry_delay=0.1)
POLICIES = {
    "record": FAST,
    "flaky": FAST,
    "doomed": FAST,
    "slow": JobPolicy(timeout=1, attempts=2, retry_delay=0.05, max_retry_delay=0.1),
    "tick": FAST,
    "broken_tick": FAST,
    "recovering_tick": FAST,
}
CRONS = {
    **POLICIES,
    "tick": JobPolicy(timeout=5, attempts=1, every=1),
    "broken_tick": JobPolicy(timeout=5, attempts=1, every=1),
    "recovering_tick": JobPolicy(timeout=5, attempts=1, every=1),
}
DEAD_AFTER_ROUNDS = 3
RECOVERS_AFTER_ROUNDS = 2  # fewer failed rounds than make a dead letter


@dataclass
class Observed:
    outcomes: list[tuple[str, JobOutcome]] = field(default_factory=list)

    def job_finished(self, job: str, outcome: JobOutcome, seconds: float) -> None:
        self.outcomes.append((job, outcome))


@dataclass
class Harness:
    queue: Any
    seen: list[tuple[str, dict[str, Any], int]]
    observed: Observed
    dead_letters: SqlDeadLetterStore
    rounds: SqlJobRoundStore
    start: Callable[[], Awaitable[None]]
    streak_seen_on_recovery: list[int] = field(default_factory=list)


def _handlers(
    seen: list[tuple[str, dict[str, Any], int]], release: asyncio.Event, rounds: SqlJobRoundStore, streaks: list[int]
) -> dict[str, JobHandler]:
    def recorder(name: str, fail_until: int = 0) -> JobHandler:
        async def run(ctx: JobContext, args: Mapping[str, Any]) -> None:
            seen.append((name, dict(args), ctx.attempt))
            if ctx.attempt <= fail_until:
                raise RuntimeError(f"{name} failed on attempt {ctx.attempt}")
            if name == "record" and args.get("wait"):
                await release.wait()

        return run

    async def slow(ctx: JobContext, args: Mapping[str, Any]) -> None:
        seen.append(("slow", dict(args), ctx.attempt))
        await asyncio.sleep(60)

    async def recovering_tick(ctx: JobContext, args: Mapping[str, Any]) -> None:
        seen.append(("recovering_tick", dict(args), ctx.attempt))
        if sum(1 for name, _, _ in seen if name == "recovering_tick") <= RECOVERS_AFTER_ROUNDS:
            raise RuntimeError("recovering_tick not yet")
        # The streak as recorded when the first good round starts: the failed ones were counted.
        streaks.extend(found.rounds for found in await rounds.failing() if found.job == "recovering_tick")

    return {
        "record": recorder("record"),
        "flaky": recorder("flaky", fail_until=1),
        "doomed": recorder("doomed", fail_until=99),
        "slow": slow,
        "tick": recorder("tick"),
        "broken_tick": recorder("broken_tick", fail_until=99),
        "recovering_tick": recovering_tick,
    }


@pytest.fixture
def policies() -> dict[str, JobPolicy]:
    return POLICIES


@pytest.fixture(params=["in-process", "saq"])
async def harness(
    request: pytest.FixtureRequest, sqlite_url: str, policies: dict[str, JobPolicy]
) -> AsyncIterator[Harness]:
    database = Database(sqlite_url)
    dead_letters = SqlDeadLetterStore(database)
    rounds = SqlJobRoundStore(database)
    failed_rounds = FailedRounds(rounds, dead_letters, lambda: NOW, DEAD_AFTER_ROUNDS)
    observed = Observed()
    seen: list[tuple[str, dict[str, Any], int]] = []
    streaks: list[int] = []
    release = asyncio.Event()
    handlers = _handlers(seen, release, rounds, streaks)
    stop: Callable[[], Awaitable[None]]
    if request.param == "in-process":
        queue: Any = InProcessJobQueue(
            policies, dead_letters, observed, lambda: NOW, rounds=failed_rounds, jitter=lambda: 0.0
        )

        async def start() -> None:
            queue.start(handlers)

        stop = queue.stop
    else:
        redis_url = request.getfixturevalue("redis_url")
        queue = SaqJobQueue(
            redis_url, policies, dead_letters, observed, lambda: NOW, rounds=failed_rounds, name=f"test-{uuid4().hex}"
        )
        worker = queue.worker(handlers, concurrency=4, sweep_every=1, grace_seconds=1)
        tasks: list[asyncio.Task[None]] = []

        async def start() -> None:
            tasks.append(asyncio.create_task(worker.start()))

        async def stop() -> None:
            await worker.stop()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await queue.aclose()

    try:
        yield Harness(queue, seen, observed, dead_letters, rounds, start, streaks)
    finally:
        release.set()
        await stop()
        await database.dispose()


async def _until(check: Callable[[], Awaitable[bool] | bool], deadline: float = 20) -> None:
    """Wait for ``check`` to hold; the deadline only keeps a broken run from hanging."""
    give_up = time.monotonic() + deadline
    while True:
        outcome = check()
        if isinstance(outcome, Awaitable):
            outcome = await outcome
        if outcome:
            return
        assert time.monotonic() < give_up, "gave up waiting"
        await asyncio.sleep(0.02)


async def test_an_enqueued_job_runs_once_with_its_arguments(harness: Harness) -> None:
    await harness.start()
    await harness.queue.enqueue("record", {"booking": "b-1", "units": 2})
    await _until(lambda: bool(harness.seen))
    await _until(lambda: ("record", JobOutcome.SUCCEEDED) in harness.observed.outcomes)
    assert harness.seen == [("record", {"booking": "b-1", "units": 2}, 1)]


async def test_a_key_is_queued_once_while_its_job_waits_or_runs(harness: Harness) -> None:
    first = await harness.queue.enqueue("record", {"n": 1, "wait": True}, key="only-one")
    second = await harness.queue.enqueue("record", {"n": 2, "wait": True}, key="only-one")
    assert first == second
    await harness.start()
    await _until(lambda: len(harness.seen) == 1)
    assert await harness.queue.enqueue("record", {"n": 3}, key="only-one") == first  # still running
    await harness.queue.enqueue("record", {"n": 4}, key="another")
    await _until(lambda: len(harness.seen) == 2)
    assert [args["n"] for _, args, _ in harness.seen] == [1, 4]


async def test_a_failed_attempt_is_retried(harness: Harness) -> None:
    await harness.start()
    await harness.queue.enqueue("flaky", {"x": 1})
    await _until(lambda: ("flaky", JobOutcome.SUCCEEDED) in harness.observed.outcomes)
    assert [attempt for _, _, attempt in harness.seen] == [1, 2]
    assert harness.observed.outcomes == [("flaky", JobOutcome.RETRIED), ("flaky", JobOutcome.SUCCEEDED)]
    assert await harness.dead_letters.list() == []


async def test_a_job_failing_every_attempt_becomes_a_dead_letter(harness: Harness) -> None:
    await harness.start()
    job_id = await harness.queue.enqueue("doomed", {"booking": "b-9"}, key="doomed-b-9")
    await _until(harness.dead_letters.count)
    [letter] = await harness.dead_letters.list()
    assert (letter.job, dict(letter.args), letter.key, letter.attempts) == ("doomed", {"booking": "b-9"}, job_id, 3)
    assert "doomed failed on attempt 3" in letter.error
    assert [attempt for _, _, attempt in harness.seen] == [1, 2, 3]
    assert [outcome for _, outcome in harness.observed.outcomes] == [JobOutcome.RETRIED] * 2 + [JobOutcome.FAILED]


async def test_an_attempt_is_cut_off_at_its_timeout(harness: Harness) -> None:
    await harness.start()
    await harness.queue.enqueue("slow", {})
    await _until(harness.dead_letters.count)
    [letter] = await harness.dead_letters.list()
    assert letter.job == "slow"
    assert [attempt for _, _, attempt in harness.seen] == [1, 2]


@pytest.mark.parametrize("policies", [CRONS])
async def test_cron_jobs_run_every_period_and_a_failed_round_is_no_dead_letter(harness: Harness) -> None:
    await harness.start()

    async def failed_once() -> bool:
        return any(f.job == "broken_tick" for f in await harness.rounds.failing())

    await _until(failed_once)  # polled far more often than a round runs: one round, not three
    assert ("broken_tick", JobOutcome.FAILED) in harness.observed.outcomes
    assert await harness.dead_letters.count() == 0
    await _until(lambda: sum(1 for name, _, _ in harness.seen if name == "tick") >= 2)


@pytest.mark.parametrize("policies", [CRONS])
async def test_a_cron_job_failing_round_after_round_is_counted_and_becomes_one_dead_letter(harness: Harness) -> None:
    await harness.start()

    async def streak(at_least: int) -> bool:
        return any(f.job == "broken_tick" and f.rounds >= at_least for f in await harness.rounds.failing())

    await _until(lambda: streak(DEAD_AFTER_ROUNDS + 1))  # past the dead letter: the rounds go on
    [letter] = await harness.dead_letters.list()
    assert (letter.job, dict(letter.args), letter.attempts) == ("broken_tick", {}, DEAD_AFTER_ROUNDS)
    assert "broken_tick failed on attempt 1" in letter.error
    failing = {f.job: f for f in await harness.rounds.failing()}
    assert "tick" not in failing
    assert "broken_tick failed on attempt 1" in failing["broken_tick"].last_error


@pytest.mark.parametrize("policies", [CRONS])
async def test_a_successful_round_ends_the_streak(harness: Harness) -> None:
    await harness.start()
    await _until(lambda: ("recovering_tick", JobOutcome.SUCCEEDED) in harness.observed.outcomes)

    async def recovered() -> bool:
        return all(f.job != "recovering_tick" for f in await harness.rounds.failing())

    await _until(recovered)
    assert harness.streak_seen_on_recovery == [RECOVERS_AFTER_ROUNDS]
    assert all(letter.job != "recovering_tick" for letter in await harness.dead_letters.list())


async def test_an_unknown_job_is_refused(harness: Harness) -> None:
    with pytest.raises(KeyError):
        await harness.queue.enqueue("no_such_job", {})


async def test_the_queue_reports_its_depth(harness: Harness) -> None:
    for n in range(3):
        await harness.queue.enqueue("record", {"n": n})
    stats = await harness.queue.stats()
    assert (stats.queued, stats.active) == (3, 0)


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
async def test_failed_rounds_are_counted_once_each_by_many_processes_at_once(
    request: pytest.FixtureRequest, where: str
) -> None:
    """Workers share the count: of rounds failing at once in several processes (engines of their
    own here), each is counted, and exactly one of them sees the streak reach a given length."""
    if where == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
    else:
        url = migrated_postgres(request.getfixturevalue("postgres_url"), "holdfast_job_rounds")
        await truncate_all(url)
    processes = [Database(url), Database(url)]
    try:
        stores = [SqlJobRoundStore(database) for database in processes]
        counted = await asyncio.gather(*(stores[n % 2].round_failed("relay_outbox", f"e{n}", NOW) for n in range(20)))
        assert sorted(counted) == list(range(1, 21))
        [found] = await stores[0].failing()
        assert (found.job, found.rounds) == ("relay_outbox", 20)
        await stores[1].round_succeeded("relay_outbox")
        assert await stores[0].failing() == []
    finally:
        for database in processes:
            await database.dispose()


async def test_a_database_that_cannot_record_rounds_is_logged_once_not_per_round() -> None:
    """The rounds' own failures are logged already; the missing record adds one line, not one
    per round (Postgres unreachable: nothing listens on that port)."""
    database = Database(f"postgresql+asyncpg://holdfast@127.0.0.1:{free_port()}/holdfast", pool_size=1)
    rounds = FailedRounds(SqlJobRoundStore(database), SqlDeadLetterStore(database), lambda: NOW, DEAD_AFTER_ROUNDS)
    lines: list[str] = []
    sink = logger.add(lines.append, level="WARNING", format="{message}")
    try:
        for _ in range(DEAD_AFTER_ROUNDS + 1):
            await rounds.failed("relay_outbox", "OSError: down")
            await rounds.succeeded("expire_holds")
    finally:
        logger.remove(sink)
        await database.dispose()
    assert [line for line in lines if "cannot record" in line] == [lines[0]]
    assert len(lines) == 1


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "saq":
            self.records.append(record)


@pytest.mark.parametrize("policies", [CRONS])
@pytest.mark.parametrize("harness", ["saq"], indirect=True)  # SAQ's own lines: the other queue has none
async def test_saq_says_nothing_at_info_per_cron_round_but_still_reports_a_failure(harness: Harness) -> None:
    lines = _Records()
    logging.getLogger().addHandler(lines)
    saq_level = logging.getLogger("saq").level
    logging.getLogger("saq").setLevel(logging.INFO)  # as configure_logging's root level leaves it
    try:
        await harness.start()
        await _until(lambda: sum(1 for name, _, _ in harness.seen if name == "tick") >= 2)
        await _until(lambda: ("broken_tick", JobOutcome.FAILED) in harness.observed.outcomes)
        await _until(lambda: any(r.levelno >= logging.ERROR for r in lines.records))
    finally:
        logging.getLogger().removeHandler(lines)
        logging.getLogger("saq").setLevel(saq_level)
    routine = [r.getMessage() for r in lines.records if "tick" in r.getMessage() and r.levelno < logging.WARNING]
    assert routine == []
    assert any("broken_tick" in r.getMessage() for r in lines.records if r.levelno >= logging.ERROR)
