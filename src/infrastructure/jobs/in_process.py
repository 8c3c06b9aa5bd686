"""The in-process job queue of the embedded default: the API process runs its own jobs.

It keeps the port's promises the way the SAQ adapter does: a job with a key is queued once
while it waits or runs; each attempt is cut off at the policy's ``timeout``; failures are
retried with the policy's backoff; an enqueued job that fails every attempt becomes a dead
letter; cron jobs are enqueued every ``every`` seconds under the key ``cron:<name>``, so a slow
round is never run twice at once.

A heartbeat says the process running a job is alive; here that process is this one, so the
policy's ``heartbeat`` has nothing to watch (a job's own ``heartbeat()`` calls are accepted).
What it cannot do is outlive its process: jobs waiting in memory are gone when the process
stops. That is why every job is idempotent and re-derives its work from the database (the
sweeps find due holds, the relay finds unpublished events), so the next round, here or in a
SAQ worker, finds what a lost job left undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from loguru import logger

from application.audit import acting_as, system_context
from application.ports.jobs import (
    DeadLetter,
    DeadLetterStore,
    JobArgs,
    JobHandler,
    JobObserver,
    JobOutcome,
    JobPolicy,
    QueueStats,
)
from infrastructure.jobs.failed_rounds import FailedRounds
from infrastructure.logging import job_log_context


@dataclass(slots=True)
class _Job:
    id: str
    name: str
    args: dict[str, Any]
    key: str | None
    attempt: int = 0


@dataclass(slots=True)
class _Context:
    job_id: str
    attempt: int
    progress: float = 0.0

    async def heartbeat(self, progress: float | None = None) -> None:
        if progress is not None:
            self.progress = progress


class InProcessJobQueue:
    def __init__(
        self,
        policies: Mapping[str, JobPolicy],
        dead_letters: DeadLetterStore,
        observer: JobObserver,
        now: Callable[[], datetime],
        *,
        rounds: FailedRounds,
        concurrency: int = 4,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._policies = policies
        self._dead_letters = dead_letters
        self._observer = observer
        self._now = now
        self._rounds = rounds
        self._concurrency = concurrency
        self._jitter = jitter
        self._ready: asyncio.Queue[_Job] = asyncio.Queue()
        self._keyed: dict[str, _Job] = {}  # jobs with a key, while they wait or run
        self._waiting_retry = 0
        self._running = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._handlers: Mapping[str, JobHandler] = {}

    async def enqueue(self, name: str, args: JobArgs | None = None, *, key: str | None = None) -> str:
        if name not in self._policies:
            raise KeyError(f"no job named {name!r}")
        if key is not None and (there := self._keyed.get(key)) is not None:
            return there.id
        job = _Job(key or uuid4().hex, name, dict(args or {}), key)
        if key is not None:
            self._keyed[key] = job
        self._ready.put_nowait(job)
        return job.id

    async def run_now(self, name: str) -> str:
        # Here a round is enqueued when it is due, never ahead of time: the one waiting or
        # running under the cron key is due now.
        return await self.enqueue(name, key=f"cron:{name}")

    async def stats(self) -> QueueStats:
        return QueueStats(queued=self._ready.qsize(), scheduled=self._waiting_retry, active=self._running)

    def start(self, handlers: Mapping[str, JobHandler]) -> None:
        """Run jobs (and the cron schedule) in this process until ``stop``."""
        missing = set(self._policies) - set(handlers)
        if missing:
            raise ValueError(f"no handler for jobs {sorted(missing)}")
        self._handlers = handlers
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._concurrency)]
        for name, policy in self._policies.items():
            if policy.every is not None:
                self._tasks.append(asyncio.create_task(self._cron(name, policy.every)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def drain(self) -> None:
        """Wait until nothing is queued, waiting for a retry, or running (tests)."""
        while self._ready.qsize() or self._waiting_retry or self._running:  # noqa: ASYNC110 (tests only)
            await asyncio.sleep(0.01)

    async def _cron(self, name: str, every: float) -> None:
        while True:
            await self.enqueue(name, key=f"cron:{name}")
            await asyncio.sleep(every)

    async def _work(self) -> None:
        while True:
            job = await self._ready.get()
            self._running += 1
            try:
                await self._attempt(job)
            finally:
                self._running -= 1

    async def _attempt(self, job: _Job) -> None:
        policy = self._policies[job.name]
        job.attempt += 1
        context = _Context(job.id, job.attempt)
        started = time.perf_counter()
        with job_log_context(job.id, job.name), acting_as(system_context(f"job:{job.name}", job.id)):
            try:
                await self._run(self._handlers[job.name], context, job.args, policy)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._failed(job, policy, exc, time.perf_counter() - started)
                return
            self._observer.job_finished(job.name, JobOutcome.SUCCEEDED, time.perf_counter() - started)
            self._forget(job)
            if policy.is_cron:
                await self._rounds.succeeded(job.name)

    async def _run(self, handler: JobHandler, context: _Context, args: dict[str, Any], policy: JobPolicy) -> None:
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the job finishes, and ``stop`` would then wait forever.
            async with asyncio.timeout(policy.timeout):
                await handler(context, args)
        except TimeoutError:
            raise TimeoutError(f"job ran longer than its {policy.timeout:g} s timeout") from None

    async def _failed(self, job: _Job, policy: JobPolicy, exc: Exception, seconds: float) -> None:
        if job.attempt < policy.attempts:
            delay = policy.delay_after(job.attempt, self._jitter())
            logger.warning("job {} attempt {} failed ({!r}); retrying in {:.1f} s", job.name, job.attempt, exc, delay)
            self._observer.job_finished(job.name, JobOutcome.RETRIED, seconds)
            self._waiting_retry += 1
            asyncio.get_running_loop().call_later(delay, self._requeue, job)
            return
        logger.opt(exception=exc).error("job {} failed after {} attempts", job.name, job.attempt)
        self._observer.job_finished(job.name, JobOutcome.FAILED, seconds)
        self._forget(job)
        if policy.is_cron:
            # The next round is its retry; only a streak of failed rounds makes a dead letter
            # (one per round would bury the others).
            await self._rounds.failed(job.name, exc)
            return
        error = "".join(traceback.format_exception(exc))
        letter = DeadLetter(uuid4(), job.name, job.args, job.key, error, job.attempt, self._now())
        try:
            await self._dead_letters.add(letter)
        except Exception:
            logger.exception("could not record the dead letter of job {} {}", job.name, job.id)

    def _requeue(self, job: _Job) -> None:
        self._waiting_retry -= 1
        self._ready.put_nowait(job)

    def _forget(self, job: _Job) -> None:
        if job.key is not None and self._keyed.get(job.key) is job:
            del self._keyed[job.key]
