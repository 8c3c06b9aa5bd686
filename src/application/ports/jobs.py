"""The job-queue port: background work, delivered at least once.

Two adapters behave alike: SAQ on Redis (production; ``holdfast worker`` runs it) and an
in-process queue (the embedded default; the API process runs it). Every job must therefore be
idempotent: running it twice, or again after a worker died half-way, has the effect of running
it once. Jobs are named; each name has one ``JobPolicy`` (in the job catalogue) saying how long
an attempt may run, how often it is tried, how it backs off and, for cron jobs, how often it runs.
A job that fails every attempt becomes a dead letter that an operator can read and replay; so
does a periodic job whose rounds fail several times in a row (``JobRoundStore`` counts them).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.webhooks import backoff

JobArgs = Mapping[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class JobPolicy:
    """How one kind of job runs.

    ``timeout``: seconds one attempt may run before it is cancelled and counts as failed.
    ``attempts``: tries in all (the first included) before the job is a dead letter.
    ``retry_delay``: seconds before the first retry; each later one waits twice as long (with
    jitter), never more than ``max_retry_delay``.
    ``heartbeat``: seconds a running attempt may go without a heartbeat before it is presumed
    dead (its worker killed) and tried again elsewhere; 0 leaves that to ``timeout``.
    ``every``: for cron jobs, the seconds between runs; ``None`` for jobs that are enqueued.
    """

    timeout: float = 30.0
    attempts: int = 5
    retry_delay: float = 1.0
    max_retry_delay: float = 300.0
    heartbeat: float = 0.0
    every: float | None = None

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.attempts < 1 or self.retry_delay < 0 or self.max_retry_delay < self.retry_delay:
            raise ValueError(f"inconsistent job policy: {self}")
        if self.every is not None and self.every <= 0:
            raise ValueError("a cron job runs every so many seconds, more than zero")

    @property
    def is_cron(self) -> bool:
        return self.every is not None

    def delay_after(self, failed_attempt: int, jitter: float) -> float:
        """Seconds to wait after attempt ``failed_attempt`` (1-based) failed, ``jitter`` in [0, 1):
        the project's one backoff (doubling, capped, equal jitter), from ``retry_delay``."""
        return backoff(failed_attempt, jitter, self.retry_delay, self.max_retry_delay).total_seconds()


class JobContext(Protocol):
    """What a running job knows of itself."""

    @property
    def job_id(self) -> str: ...

    @property
    def attempt(self) -> int:
        """1 on the first try."""
        ...

    async def heartbeat(self, progress: float | None = None) -> None:
        """Say the job is alive (and, optionally, how far along, 0..1); long jobs call it often."""
        ...


# What runs a job: its context and its arguments. The job catalogue maps every name to one.
JobHandler = Callable[[JobContext, Mapping[str, Any]], Awaitable[object]]


class JobOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    RETRIED = "retried"  # this attempt failed; another is scheduled
    FAILED = "failed"  # the last attempt failed (an enqueued job becomes a dead letter)


class JobObserver(Protocol):
    def job_finished(self, job: str, outcome: JobOutcome, seconds: float) -> None:
        """An attempt of ``job`` ended; cheap and synchronous (a metrics counter)."""
        ...


@dataclass(frozen=True, slots=True)
class QueueStats:
    queued: int  # waiting to run now
    scheduled: int  # waiting for their time (retries, cron)
    active: int  # running


class JobQueue(Protocol):
    async def enqueue(self, name: str, args: JobArgs | None = None, *, key: str | None = None) -> str:
        """Queue job ``name`` with ``args``; returns the job's id.

        While a job with the same ``key`` is waiting or running, enqueueing it again queues
        nothing and returns the id of the one there. Raises ``KeyError`` for an unknown name.
        """
        ...

    async def run_now(self, name: str) -> str:
        """Queue a round of periodic job ``name`` to run as soon as a worker is free; returns
        its id. A round of it already running, or due now, is the answer; a round merely
        scheduled for later is not (run now means now). Raises ``KeyError`` for an unknown name."""
        ...

    async def stats(self) -> QueueStats: ...


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A job that failed every attempt, kept until an operator replays it."""

    id: UUID
    job: str
    args: Mapping[str, Any]
    key: str | None
    error: str
    attempts: int
    failed_at: datetime
    replayed_at: datetime | None = None
    replay_job_id: str | None = None


@dataclass(frozen=True, slots=True)
class RefusedItem:
    """One item of a batch that a store would not take for what the item holds (a NUL Postgres
    cannot store, a value too long for its column), not because the store is down: the rest of
    the batch was written without it. ``ident`` names the item (a hold id, an event id)."""

    ident: str
    reason: str


class DeadLetterStore(Protocol):
    async def add(self, letter: DeadLetter) -> None:
        """Adding a letter whose id is there already changes nothing. Text is stored with its
        control characters escaped (a letter is often about text that could not be stored)."""
        ...

    async def get(self, letter_id: UUID) -> DeadLetter | None: ...

    async def list(self, *, include_replayed: bool = False, limit: int = 100) -> Sequence[DeadLetter]:
        """Newest first."""
        ...

    async def mark_replayed(self, letter_id: UUID, job_id: str, now: datetime) -> bool:
        """False if it was replayed already (two operators at once: one replay wins)."""
        ...

    async def count(self) -> int:
        """Letters not yet replayed."""
        ...


@dataclass(frozen=True, slots=True)
class FailingJob:
    """A periodic job whose latest ``rounds`` rounds all failed (each after all its attempts)."""

    job: str
    rounds: int
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str


class JobRoundStore(Protocol):
    """Consecutive failed rounds per periodic job, shared by every process that runs jobs: one
    worker's success ends the streak that another's failures started."""

    async def round_failed(self, job: str, error: str, now: datetime) -> int:
        """Count one more failed round of ``job``; returns the rounds failed in a row, this one
        included. Atomic: of several processes counting at once, each gets its own number."""
        ...

    async def round_succeeded(self, job: str) -> None:
        """A round of ``job`` succeeded: its streak (if any) ends."""
        ...

    async def failing(self) -> Sequence[FailingJob]:
        """Jobs whose latest round failed, the longest streak first."""
        ...
