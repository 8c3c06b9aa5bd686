"""Background jobs for operators (/v1/ops/jobs): the queue's depth, dead letters and their
replay, and running a periodic job now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from application.ports.jobs import DeadLetter, FailingJob
from application.use_cases.manage_jobs import (
    GetJobsStatusHandler,
    ListDeadLettersHandler,
    ReplayDeadLetterHandler,
    RunJobNowHandler,
)
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.text import END

JobName = Annotated[str, Parameter(pattern=rf"^[a-z_]{{1,100}}{END}", description="a periodic job's name")]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="letters to return, newest first")]


class FailingJobOut(msgspec.Struct):
    job: str
    rounds: int  # failed in a row, up to the latest
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str

    @classmethod
    def of(cls, found: FailingJob) -> FailingJobOut:
        return cls(found.job, found.rounds, found.first_failed_at, found.last_failed_at, found.last_error)


class JobsStatusOut(msgspec.Struct):
    queue: str  # in-process or saq
    queued: int
    scheduled: int
    active: int
    dead_letters: int
    failing: list[FailingJobOut]  # periodic jobs whose latest round failed, longest streak first


class DeadLetterOut(msgspec.Struct):
    id: UUID
    job: str
    args: dict[str, Any]
    key: str | None
    error: str
    attempts: int
    failed_at: datetime
    replayed_at: datetime | None
    replay_job_id: str | None

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterOut:
        return cls(
            letter.id,
            letter.job,
            dict(letter.args),
            letter.key,
            letter.error,
            letter.attempts,
            letter.failed_at,
            letter.replayed_at,
            letter.replay_job_id,
        )


class EnqueuedOut(msgspec.Struct):
    job: str
    job_id: str


class JobsOpsController(Controller):
    path = "/jobs"
    tags = ["ops"]

    @get("/", dependencies={"get_jobs_status": use_case("get_jobs_status")}, responses=problems("forbidden"))
    async def status(self, get_jobs_status: NamedDependency[GetJobsStatusHandler], state: State) -> JobsStatusOut:
        """How many jobs wait, wait for their time (retries, schedules) or run; how many dead
        letters; and which periodic jobs failed their latest rounds, how many in a row."""
        found = await get_jobs_status()
        stats = found.queue
        failing = [FailingJobOut.of(job) for job in found.failing]
        return JobsStatusOut(
            state.settings.jobs, stats.queued, stats.scheduled, stats.active, found.dead_letters, failing
        )

    @get(
        "/dead-letters",
        dependencies={"list_dead_letters": use_case("list_dead_letters")},
        responses=problems("forbidden"),
    )
    async def dead_letters(
        self,
        list_dead_letters: NamedDependency[ListDeadLettersHandler],
        include_replayed: FromQuery[bool] = False,
        limit: Limit = 100,
    ) -> list[DeadLetterOut]:
        """Jobs that failed every attempt, newest first (``?include_replayed=true`` for all of them)."""
        letters = await list_dead_letters(include_replayed=include_replayed, limit=limit)
        return [DeadLetterOut.of(letter) for letter in letters]

    @post(
        "/dead-letters/{letter_id:uuid}/replay",
        status_code=200,
        dependencies={"replay_dead_letter": use_case("replay_dead_letter")},
        responses=problems("forbidden", "not_found", "conflict"),
    )
    async def replay(
        self, letter_id: FromPath[UUID], replay_dead_letter: NamedDependency[ReplayDeadLetterHandler]
    ) -> DeadLetterOut:
        """Enqueue the job again with its arguments; a letter replays once (409 after that)."""
        return DeadLetterOut.of(await replay_dead_letter(letter_id))

    @post(
        "/{name:str}/run",
        status_code=202,
        dependencies={"run_job_now": use_case("run_job_now")},
        responses=problems("forbidden", "not_found"),
    )
    async def run_now(self, name: JobName, run_job_now: NamedDependency[RunJobNowHandler]) -> EnqueuedOut:
        """Run a periodic job (``expire_holds``, ``relay_outbox``...) now instead of at its next round."""
        return EnqueuedOut(name, await run_job_now(name))
