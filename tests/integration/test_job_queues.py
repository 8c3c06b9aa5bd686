"""One contract for both job queues: the in-process one and SAQ on a real Redis server.

(What a killed SAQ worker's jobs become is in test_worker_crash.py: it needs a real process.)

Each test enqueues through the port and runs the adapter's own runner (the in-process tasks, or
a real SAQ worker), then checks what the handlers saw and what ended in the dead-letter list.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from application.ports.jobs import JobContext, JobHandler, JobOutcome, JobPolicy
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.jobs.in_process import InProcessJobQueue
from infrastructure.jobs.saq_queue import SaqJobQueue
from infrastructure.persistence.database import Database

NOW = datetime(2030, 1, 1, tzinfo=UTC)
FAST = JobPolicy(timeout=5, attempts=3, retry_delay=0.05, max_retry_delay=0.1)
POLICIES = {
    "record": FAST,
    "flaky": FAST,
    "doomed": FAST,
    "slow": JobPolicy(timeout=1, attempts=2, retry_delay=0.05, max_retry_delay=0.1),
    "tick": FAST,
    "broken_tick": FAST,
}
CRONS = {
    **POLICIES,
    "tick": JobPolicy(timeout=5, attempts=1, every=1),
    "broken_tick": JobPolicy(timeout=5, attempts=1, every=1),
}


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
    start: Callable[[], Awaitable[None]]


def _handlers(seen: list[tuple[str, dict[str, Any], int]], release: asyncio.Event) -> dict[str, JobHandler]:
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

    return {
        "record": recorder("record"),
        "flaky": recorder("flaky", fail_until=1),
        "doomed": recorder("doomed", fail_until=99),
        "slow": slow,
        "tick": recorder("tick"),
        "broken_tick": recorder("broken_tick", fail_until=99),
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
    observed = Observed()
    seen: list[tuple[str, dict[str, Any], int]] = []
    release = asyncio.Event()
    handlers = _handlers(seen, release)
    stop: Callable[[], Awaitable[None]]
    if request.param == "in-process":
        queue: Any = InProcessJobQueue(policies, dead_letters, observed, lambda: NOW, jitter=lambda: 0.0)

        async def start() -> None:
            queue.start(handlers)

        stop = queue.stop
    else:
        redis_url = request.getfixturevalue("redis_url")
        queue = SaqJobQueue(redis_url, policies, dead_letters, observed, lambda: NOW, name=f"test-{uuid4().hex}")
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
        yield Harness(queue, seen, observed, dead_letters, start)
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
async def test_cron_jobs_run_every_period_and_their_failures_are_not_dead_letters(harness: Harness) -> None:
    await harness.start()
    await _until(lambda: sum(1 for name, _, _ in harness.seen if name == "tick") >= 2)
    await _until(lambda: sum(1 for name, _, _ in harness.seen if name == "broken_tick") >= 2)
    assert ("broken_tick", JobOutcome.FAILED) in harness.observed.outcomes
    assert await harness.dead_letters.count() == 0


async def test_an_unknown_job_is_refused(harness: Harness) -> None:
    with pytest.raises(KeyError):
        await harness.queue.enqueue("no_such_job", {})


async def test_the_queue_reports_its_depth(harness: Harness) -> None:
    for n in range(3):
        await harness.queue.enqueue("record", {"n": n})
    stats = await harness.queue.stats()
    assert (stats.queued, stats.active) == (3, 0)
