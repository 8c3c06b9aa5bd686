"""Hold journal ports: the Redis engine's stream of hold transitions, and its copy in Postgres.

The Redis engine appends every hold transition to a stream per listing. The journaling job reads
each stream after the listing's cursor and folds the entries into one row per hold, in the
system of record; rows and cursor are written in one transaction. The SQL engine keeps its holds
in Postgres already and the memory engine keeps nothing, so neither has a journal to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.audit import AuditContext
from application.ports.jobs import RefusedItem
from domain.inventory import Hold

PLACED = "placed"  # the first entry of a hold; the others are named after the status moved to


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One transition of one hold. ``entry_id`` orders a listing's entries (a stream id).

    ``hold`` is the whole hold on ``placed`` entries and ``None`` on the others, which carry only
    the status the hold moved to (``event``) and when (``at``, the caller's clock).
    """

    entry_id: str
    listing_id: UUID
    event: str
    hold_id: UUID
    at: datetime
    hold: Hold | None = None
    by: AuditContext | None = None  # who asked (placing, release), for the audit log; None: nobody (expiry)


@dataclass(frozen=True, slots=True)
class UnreadableEntry:
    """An entry that cannot be read as a hold transition (a corrupt or foreign body, an event
    nobody knows): skipped, and dead-lettered, rather than read again every round forever."""

    entry_id: str
    listing_id: UUID
    reason: str


@dataclass(frozen=True, slots=True)
class JournaledHold:
    """A hold as the journal last saw it."""

    hold: Hold
    updated_at: datetime


class HoldJournalSource(Protocol):
    """The engine side: where hold transitions wait to be journaled."""

    async def journal_listings(self) -> list[UUID]:
        """Every listing that may have entries (every listing the engine counts)."""
        ...

    async def read_journal(
        self, listing_id: UUID, after: str | None, limit: int
    ) -> list[JournalEntry | UnreadableEntry]:
        """Up to ``limit`` entries of the listing strictly after ``after`` (all with ``None``), in
        order; an entry that cannot be read is an ``UnreadableEntry`` in its place."""
        ...

    async def trim_journal(self, listing_id: UUID, through: str) -> None:
        """Forget the listing's entries up to and including ``through`` (they are journaled)."""
        ...


class HoldJournalRepository(Protocol):
    """The system-of-record side: one row per hold, and a cursor per listing."""

    async def cursor(self, listing_id: UUID) -> str | None:
        """The id of the last entry applied for the listing, ``None`` before the first."""
        ...

    async def get(self, hold_ids: Sequence[UUID]) -> Mapping[UUID, JournaledHold]: ...

    async def save(self, holds: Sequence[JournaledHold]) -> list[RefusedItem]:
        """Insert or overwrite each hold's row. A hold the store refuses for what it holds (text
        Postgres cannot store) is left out and returned; the others are written."""
        ...

    async def advance(self, listing_id: UUID, entry_id: str, now: datetime) -> None:
        """Move the listing's cursor to ``entry_id``."""
        ...

    async def active(self, listing_ids: Sequence[UUID] | None, now: datetime) -> list[Hold]:
        """Holds journaled active whose time is not up (of the given listings, or all)."""
        ...
