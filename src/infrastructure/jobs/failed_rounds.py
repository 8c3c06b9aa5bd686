"""Failed rounds of periodic jobs: counted in the system of record, and turned into a dead
letter when a job's rounds keep failing.

A periodic job's round is tried ``attempts`` times and then left to the next round, so one
failed round is no news; the same job failing round after round is. Both queues report each
round's end here, so the count is the same whichever queue, and however many workers, ran the
rounds (it lives in the database, like the dead letters).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from loguru import logger
from sqlalchemy import delete, select

from application.ports.jobs import DeadLetter, DeadLetterStore, FailingJob, JobRoundStore
from infrastructure.persistence.database import Database
from infrastructure.persistence.job_tables import job_failed_rounds as _t
from infrastructure.persistence.upsert import insert_for


class SqlJobRoundStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def round_failed(self, job: str, error: str, now: datetime) -> int:
        async with self._database.transaction() as session:
            insert = insert_for(session, _t).values(
                job=job, rounds=1, first_failed_at=now, last_failed_at=now, last_error=error
            )
            upsert = insert.on_conflict_do_update(
                index_elements=["job"],
                set_={"rounds": _t.c.rounds + 1, "last_failed_at": now, "last_error": error},
            ).returning(_t.c.rounds)
            return int((await session.execute(upsert)).scalar_one())

    async def round_succeeded(self, job: str) -> None:
        # Read first: nearly every round succeeds, and a read takes no write lock (SQLite).
        async with self._database.reading() as session:
            found = (await session.execute(select(_t.c.rounds).where(_t.c.job == job))).first()
        if found is not None:
            async with self._database.transaction() as session:
                await session.execute(delete(_t).where(_t.c.job == job))

    async def failing(self) -> Sequence[FailingJob]:
        async with self._database.reading() as session:
            rows = (await session.execute(select(_t).order_by(_t.c.rounds.desc(), _t.c.job))).all()
        return [_failing(row._mapping) for row in rows]


def _failing(row: Any) -> FailingJob:
    return FailingJob(row["job"], row["rounds"], row["first_failed_at"], row["last_failed_at"], row["last_error"])


class FailedRounds:
    """What a queue calls at the end of each round of a periodic job.

    Rules: a round that succeeds ends the job's streak; a round that fails (its last attempt
    failed) adds one to it; the round that makes the streak ``dead_after`` long also leaves a
    dead letter (one per streak: the count is atomic, so exactly one process sees that number),
    which an operator reads and replays like any other. The rounds go on meanwhile: a cron job
    is never stopped. Recording is best effort: when the database is what fails, the rounds'
    own errors are logged already, so that it cannot record is logged once, not per round."""

    def __init__(
        self, store: JobRoundStore, dead_letters: DeadLetterStore, now: Callable[[], datetime], dead_after: int
    ) -> None:
        self._store, self._dead_letters, self._now, self._dead_after = store, dead_letters, now, dead_after
        self._cannot_record = False

    async def succeeded(self, job: str) -> None:
        try:
            await self._store.round_succeeded(job)
        except Exception as exc:
            self._not_recorded(job, exc)
            return
        self._cannot_record = False

    async def failed(self, job: str, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else "".join(traceback.format_exception(error))
        try:
            rounds = await self._store.round_failed(job, text, self._now())
            if rounds == self._dead_after:
                letter = DeadLetter(uuid4(), job, {}, None, text, rounds, self._now())
                await self._dead_letters.add(letter)
                logger.error("job {} failed {} rounds in a row: dead letter {}", job, rounds, letter.id)
        except Exception as exc:
            self._not_recorded(job, exc)
            return
        self._cannot_record = False

    def _not_recorded(self, job: str, exc: Exception) -> None:
        if not self._cannot_record:
            logger.warning("cannot record the rounds of periodic jobs (job {}: {!r}); logged once", job, exc)
        self._cannot_record = True
