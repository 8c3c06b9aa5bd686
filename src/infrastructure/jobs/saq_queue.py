"""The SAQ job queue on Redis: the API enqueues, ``holdfast worker`` processes.

The policy of each job becomes SAQ's per-job settings: ``timeout``, ``heartbeat``, ``retries``
(our ``attempts``: SAQ counts the first try among them), ``retry_delay`` and ``retry_backoff``
(the cap). A job whose worker dies (SIGKILL, a lost machine) stops beating; any worker's sweep
then finds it stuck and runs it again, which is safe because every job is idempotent.

Cron jobs are SAQ cron jobs under the key ``cron:<name>``, so however many workers run, one
round of a job waits or runs at a time. Dead letters are recorded where SAQ finishes a job as
failed or aborted (``finish``), which covers both a failing last attempt and a sweep that gives
up on a stuck one; there too each cron round's end is told to ``FailedRounds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import traceback
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any, cast
from uuid import NAMESPACE_URL, uuid4, uuid5

from loguru import logger
from saq import CronJob, Job, Status, Worker
from saq.queue.redis import RedisQueue

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

QUEUE_NAME = "holdfast"
# How long SAQ keeps a finished job's record (seconds): enough to see what just ran.
FINISHED_TTL = 3600
# How long a stopping worker (SIGTERM) lets running jobs finish before cancelling them; a
# cancelled job goes back to the queue and runs again.
GRACE_SECONDS = 10
# How often a worker sweeps for stuck jobs (those of dead workers), in seconds.
SWEEP_EVERY = 10


class _RoutineAtDebug(logging.Filter):
    """SAQ logs every job's enqueue, start and finish at INFO: three lines per cron round, a few
    hundred a minute. Those become DEBUG (shown with HOLDFAST_LOG_LEVEL=DEBUG); its warnings and
    errors (a failed job's traceback, an unfinished task at shutdown) keep their level."""

    ROUTINE = ("Enqueuing ", "Scheduled ", "Processing ", "Finished ")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith(self.ROUTINE):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def quiet_saq_routine_lines() -> None:
    """Installs ``_RoutineAtDebug`` on SAQ's logger, once; records are demoted, not dropped, so
    the standard library's handlers and loguru's sink levels decide."""
    saq_logger = logging.getLogger("saq")
    if not any(isinstance(existing, _RoutineAtDebug) for existing in saq_logger.filters):
        saq_logger.addFilter(_RoutineAtDebug())


def cron_expression(every: float) -> str:
    """``every`` seconds as a croniter expression with a seconds field."""
    seconds = max(1, round(every))
    if seconds < 60:
        return f"* * * * * */{seconds}"
    minutes = max(1, seconds // 60)
    return f"*/{minutes} * * * *" if minutes < 60 else f"0 */{max(1, minutes // 60)} * * *"


class _Queue(RedisQueue):
    """SAQ's Redis queue, telling us when a job ends for good, and which tasks wait to dequeue."""

    on_finished: Callable[[Job, Status], Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dequeuing: set[asyncio.Task[Any]] = set()
        self._refusing = False

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109 (SAQ's signature)
        if self._refusing:
            return None  # a stopping worker's task that had not reached its dequeue yet
        task = asyncio.current_task()
        assert task is not None
        self._dequeuing.add(task)
        try:
            return await super().dequeue(timeout, poll_interval)
        finally:
            self._dequeuing.discard(task)

    async def finish(
        self, job: Job, status: Status, *, result: Any = None, error: str | None = None, **kw: Any
    ) -> None:
        await super().finish(job, status, result=result, error=error, **kw)
        if self.on_finished is not None:
            await self.on_finished(job, status)

    @property
    def refusing(self) -> bool:
        return self._refusing

    async def refuse_jobs(self) -> None:
        """Take no more jobs: waiting dequeues are cancelled (redis-py closes their connections,
        so Redis hands them nothing more) and later ones get none."""
        self._refusing = True
        waiting = list(self._dequeuing)
        for task in waiting:
            task.cancel()
        if waiting:
            await asyncio.wait(waiting)


class _Worker(Worker[Any]):
    """SAQ's worker, except that a stopping one takes no new job.

    SAQ's own ``stop`` gives every task, the idle ones blocked in a dequeue included, the grace
    period: a job queued meanwhile was taken, and then perhaps cut off. Here the queue refuses
    jobs first, and only the jobs already running get the grace period."""

    async def stop(self) -> None:
        queue = cast(_Queue, self.queue)
        if not queue.refusing:
            self.event.set()  # first: a cancelled dequeue must not be followed by a new one
            await queue.refuse_jobs()
            grace = self._shutdown_grace_period_s
            logger.info("worker {} stopping: takes no new job; running ones get {} s", self.id, grace)
        await super().stop()


class _Context:
    def __init__(self, job: Job) -> None:
        self._job = job

    @property
    def job_id(self) -> str:
        return self._job.key

    @property
    def attempt(self) -> int:
        return self._job.attempts

    async def heartbeat(self, progress: float | None = None) -> None:
        if progress is None:
            await self._job.update()
        else:
            await self._job.update(progress=progress)


class SaqJobQueue:
    def __init__(
        self,
        url: str,
        policies: Mapping[str, JobPolicy],
        dead_letters: DeadLetterStore,
        observer: JobObserver,
        now: Callable[[], datetime],
        *,
        rounds: FailedRounds,
        name: str = QUEUE_NAME,
    ) -> None:
        self._policies = policies
        self._rounds = rounds
        self._dead_letters = dead_letters
        self._observer = observer
        self._now = now
        quiet_saq_routine_lines()
        self._queue = _Queue.from_url(url, name=name)
        self._queue.on_finished = self._finished
        self._connected = False

    @property
    def saq(self) -> RedisQueue:
        return self._queue

    async def enqueue(self, name: str, args: JobArgs | None = None, *, key: str | None = None) -> str:
        policy = self._policies[name]
        await self._connect()
        job = Job(function=name, kwargs=dict(args or {}), key=key or uuid4().hex, **_job_settings(policy))
        await self._queue.enqueue(job)
        return job.key

    async def run_now(self, name: str) -> str:
        """SAQ enqueues a cron round ahead of its time under ``cron:<name>``: that one is the
        answer only while it runs or is due. Otherwise the round runs under ``now:<name>``, which
        is queued once while it waits or runs."""
        await self._connect()
        round_ = await self._queue.job(f"cron:{name}")
        if round_ is not None and _running_or_due(round_):
            return round_.key
        return await self.enqueue(name, key=f"now:{name}")

    async def stats(self) -> QueueStats:
        await self._connect()
        info = await self._queue.info()
        return QueueStats(queued=info["queued"], scheduled=info["scheduled"], active=info["active"])

    def worker(
        self,
        handlers: Mapping[str, JobHandler],
        *,
        concurrency: int = 10,
        sweep_every: int = SWEEP_EVERY,
        grace_seconds: int = GRACE_SECONDS,
    ) -> Worker[Any]:
        """A SAQ worker running ``handlers`` and the cron schedule; start it with ``run_worker``."""
        missing = set(self._policies) - set(handlers)
        if missing:
            raise ValueError(f"no handler for jobs {sorted(missing)}")
        functions = [(name, _saq_function(name, handler, self._observer)) for name, handler in handlers.items()]
        crons = [
            CronJob(
                dict(functions)[name],
                cron=cron_expression(policy.every),
                timeout=math.ceil(policy.timeout),
                heartbeat=math.ceil(policy.heartbeat),
                retries=policy.attempts,  # SAQ's cron jobs take no retry delay: retried at once
                ttl=FINISHED_TTL,
            )
            for name, policy in self._policies.items()
            if policy.every is not None
        ]
        return _Worker(
            self._queue,
            functions=functions,
            cron_jobs=crons,
            concurrency=concurrency,
            timers={"sweep": sweep_every, "schedule": 1},
            shutdown_grace_period_s=grace_seconds,
        )

    async def aclose(self) -> None:
        if self._connected:
            await self._queue.disconnect()
            self._connected = False

    async def _connect(self) -> None:
        if not self._connected:
            await self._queue.connect()
            self._connected = True

    async def _finished(self, job: Job, status: Status) -> None:
        if job.function not in self._policies:
            return
        if status == Status.ABORTED and job.retryable:
            return  # a stuck job the sweep aborted: it is about to run again
        failed = status in (Status.FAILED, Status.ABORTED)
        if self._policies[job.function].is_cron:
            if failed:
                await self._rounds.failed(job.function, job.error or status.value)  # the next round retries
            elif status == Status.COMPLETE:
                await self._rounds.succeeded(job.function)
            return
        if not failed:
            return
        letter = DeadLetter(
            uuid5(NAMESPACE_URL, f"saq:{self._queue.name}:{job.key}:{job.queued}"),  # one per run of the job
            job.function,
            dict(job.kwargs or {}),
            job.key,
            job.error or status.value,
            job.attempts,
            self._now(),
        )
        try:
            await self._dead_letters.add(letter)
        except Exception:
            logger.exception("could not record the dead letter of job {} {}", job.function, job.key)


def _running_or_due(job: Job) -> bool:
    return job.status == Status.ACTIVE or (job.status == Status.QUEUED and job.scheduled <= time.time())


def _job_settings(policy: JobPolicy) -> dict[str, Any]:
    return {
        "timeout": math.ceil(policy.timeout),
        "heartbeat": math.ceil(policy.heartbeat),
        "retries": policy.attempts,
        "retry_delay": policy.retry_delay,
        "retry_backoff": policy.max_retry_delay,
        "ttl": FINISHED_TTL,
    }


@contextlib.asynccontextmanager
async def _beating(job: Job) -> AsyncIterator[None]:
    """Beat the job's heartbeat while this process runs it: a worker that dies (SIGKILL, a lost
    machine) stops beating, and a sweep hands its job to another worker after ``heartbeat``
    seconds instead of waiting out the whole ``timeout``. A job alive but stuck is the
    timeout's business. The last beat is awaited, never cut off, so it cannot land after SAQ
    has recorded the job's end."""
    if not job.heartbeat:
        yield
        return
    stopping = asyncio.Event()

    async def beat() -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), max(1.0, job.heartbeat / 3))
            if not stopping.is_set():
                await job.update()

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        stopping.set()
        with contextlib.suppress(Exception):
            await beating


def _saq_function(name: str, handler: JobHandler, observer: JobObserver) -> Callable[..., Any]:
    async def run(ctx: dict[str, Any], **kwargs: Any) -> None:
        job: Job = ctx["job"]
        started = time.perf_counter()
        with job_log_context(job.key, name), acting_as(system_context(f"job:{name}", job.key)):
            try:
                async with _beating(job):
                    await handler(_Context(job), kwargs)
            except asyncio.CancelledError:
                logger.info("job {} attempt {} cancelled (worker stopping or job aborted)", name, job.attempts)
                raise
            except Exception as exc:
                outcome = JobOutcome.RETRIED if job.retryable else JobOutcome.FAILED
                observer.job_finished(name, outcome, time.perf_counter() - started)
                logger.warning(
                    "job {} attempt {} failed: {}", name, job.attempts, "".join(traceback.format_exception_only(exc))
                )
                raise
            observer.job_finished(name, JobOutcome.SUCCEEDED, time.perf_counter() - started)

    run.__qualname__ = name  # SAQ names cron jobs by their function's qualified name
    return run
