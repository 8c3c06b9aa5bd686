"""Dead letters in the system of record, on Postgres and on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update

from application.ports.jobs import DeadLetter
from domain.text import printable
from infrastructure.persistence.database import Database
from infrastructure.persistence.job_tables import job_dead_letters as _t
from infrastructure.persistence.upsert import insert_for


class SqlDeadLetterStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, letter: DeadLetter) -> None:
        """Adding a letter whose id is there already changes nothing (a job can be finished
        twice, e.g. by its worker and by a sweep that found it stuck). Text is stored with its
        control characters escaped: a letter is often about text Postgres could not store."""
        async with self._database.transaction() as session:
            await session.execute(
                insert_for(session, _t)
                .values(
                    id=letter.id,
                    job=letter.job,
                    args={name: _storable(value) for name, value in letter.args.items()},
                    key=None if letter.key is None else printable(letter.key),
                    error=printable(letter.error, keep="\n\t"),  # a traceback keeps its lines
                    attempts=letter.attempts,
                    failed_at=letter.failed_at,
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )

    async def get(self, letter_id: UUID) -> DeadLetter | None:
        async with self._database.reading() as session:
            row = (await session.execute(select(_t).where(_t.c.id == letter_id))).one_or_none()
        return None if row is None else _letter(row._mapping)

    async def list(self, *, include_replayed: bool = False, limit: int = 100) -> Sequence[DeadLetter]:
        query = select(_t).order_by(_t.c.failed_at.desc(), _t.c.id).limit(limit)
        if not include_replayed:
            query = query.where(_t.c.replayed_at.is_(None))
        async with self._database.reading() as session:
            rows = (await session.execute(query)).all()
        return [_letter(row._mapping) for row in rows]

    async def mark_replayed(self, letter_id: UUID, job_id: str, now: datetime) -> bool:
        async with self._database.transaction() as session:
            result = await session.execute(
                update(_t)
                .where(_t.c.id == letter_id, _t.c.replayed_at.is_(None))
                .values(replayed_at=now, replay_job_id=job_id)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def count(self) -> int:
        async with self._database.reading() as session:
            query = select(func.count()).select_from(_t).where(_t.c.replayed_at.is_(None))
            return int((await session.execute(query)).scalar_one())


def _storable(value: Any) -> Any:
    return printable(value) if isinstance(value, str) else value


def _letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        job=row["job"],
        args=row["args"],
        key=row["key"],
        error=row["error"],
        attempts=row["attempts"],
        failed_at=row["failed_at"],
        replayed_at=row["replayed_at"],
        replay_job_id=row["replay_job_id"],
    )
