"""What operators do with background jobs: see the queue, read dead letters, replay them, and
run a scheduled job now instead of at its next round.

One module for the four because they are one small surface over the same two ports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.jobs import DeadLetter, DeadLetterStore, FailingJob, JobQueue, JobRoundStore, QueueStats
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import ConflictError, NotFoundError


@dataclass(frozen=True, slots=True)
class JobsStatus:
    queue: QueueStats
    dead_letters: int
    failing: Sequence[FailingJob] = ()  # periodic jobs whose latest rounds failed


class GetJobsStatusHandler:
    """The queue's depth, the dead letters waiting, and every periodic job whose latest round
    failed, with how many rounds in a row (an operator sees a job failing every round here
    before it becomes a dead letter)."""

    def __init__(self, queue: JobQueue, dead_letters: DeadLetterStore, rounds: JobRoundStore) -> None:
        self._queue, self._dead_letters, self._rounds = queue, dead_letters, rounds

    async def __call__(self) -> JobsStatus:
        return JobsStatus(await self._queue.stats(), await self._dead_letters.count(), await self._rounds.failing())


class ListDeadLettersHandler:
    def __init__(self, dead_letters: DeadLetterStore) -> None:
        self._dead_letters = dead_letters

    async def __call__(self, *, include_replayed: bool = False, limit: int = 100) -> Sequence[DeadLetter]:
        return await self._dead_letters.list(include_replayed=include_replayed, limit=limit)


class ReplayDeadLetterHandler:
    """Enqueue the dead job again with its arguments, under a fresh key. A letter replays once:
    a second replay (or two operators at once) is a conflict, so the job never runs twice
    because of it."""

    def __init__(self, queue: JobQueue, dead_letters: DeadLetterStore, clock: Clock, uow: UnitOfWorkFactory) -> None:
        self._queue, self._dead_letters, self._clock, self._uow = queue, dead_letters, clock, uow

    async def __call__(self, letter_id: UUID) -> DeadLetter:
        letter = await self._dead_letters.get(letter_id)
        if letter is None:
            raise NotFoundError("dead letter", letter_id)
        if letter.replayed_at is not None:
            raise _already_replayed(letter)
        replay_key = f"replay:{letter.id}"
        async with self._uow() as uow:  # the mark and its audit row commit together
            if not await self._dead_letters.mark_replayed(letter.id, replay_key, self._clock.now()):
                raise _already_replayed(letter)
            await uow.audit.record("dead_letter.replay", "dead_letter", letter.id, after={"job": letter.job})
            await uow.commit()
        # Marked first: if enqueueing fails the operator sees a replay that never ran (and the
        # error), rather than two runs of a job after two clicks.
        await self._queue.enqueue(letter.job, dict(letter.args), key=replay_key)
        replayed = await self._dead_letters.get(letter.id)
        assert replayed is not None
        return replayed


class RunJobNowHandler:
    """Run a periodic job (one that takes no arguments) now, instead of at its next round;
    while a round of it runs or is due now, that round is the answer. A round scheduled for
    later is not: run now means now."""

    def __init__(self, queue: JobQueue, periodic: frozenset[str], uow: UnitOfWorkFactory) -> None:
        self._queue, self._periodic, self._uow = queue, periodic, uow

    async def __call__(self, name: str) -> str:
        if name not in self._periodic:
            raise NotFoundError("periodic job", name)
        job_id = await self._queue.run_now(name)
        # The queue is not the database: the round is asked for first, then recorded.
        async with self._uow() as uow:
            await uow.audit.record("job.run", "job", name, after={"job_id": job_id})
            await uow.commit()
        return job_id


def _already_replayed(letter: DeadLetter) -> ConflictError:
    return ConflictError(f"dead letter {letter.id} was replayed already (job {letter.replay_job_id})")
