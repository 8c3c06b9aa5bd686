"""Tables of the job system: dead letters (jobs that failed every attempt), and the periodic
jobs whose latest rounds failed (a row per job while its streak of failed rounds lasts).

They live in the system of record rather than in the queue's Redis so that they survive the
loss of Redis and are the same list whichever queue adapter ran the job.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text, Uuid, text

from infrastructure.persistence.metadata import metadata

_WAITING = text("replayed_at IS NULL")

job_dead_letters = Table(
    "job_dead_letters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("job", String(100), nullable=False),
    Column("args", JSON, nullable=False),
    Column("key", String(255), nullable=True),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", DateTimeUTC, nullable=False),
    Column("replayed_at", DateTimeUTC, nullable=True),
    Column("replay_job_id", String(255), nullable=True),
    Index("ix_job_dead_letters_failed_at", "failed_at"),
    Index("ix_job_dead_letters_waiting", "failed_at", postgresql_where=_WAITING, sqlite_where=_WAITING),
)

job_failed_rounds = Table(
    "job_failed_rounds",
    metadata,
    Column("job", String(100), primary_key=True),
    Column("rounds", Integer, nullable=False),
    Column("first_failed_at", DateTimeUTC, nullable=False),
    Column("last_failed_at", DateTimeUTC, nullable=False),
    Column("last_error", Text, nullable=False),
)
