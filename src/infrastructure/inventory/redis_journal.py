"""The Redis engine's hold journal, read back: one stream per listing (``lua/lib.lua`` writes it).

Entries are read with XRANGE strictly after the caller's cursor, so the stream is never
consumed destructively: what was not journaled yet is read again next time. Once journaled,
entries are trimmed with XTRIM MINID (the stream's MAXLEN bounds it too, should nobody read it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from application.ports.journal import PLACED, JournalEntry, UnreadableEntry
from domain.inventory import HoldStatus
from infrastructure.inventory.redis_codec import RedisKeys, decode_by, decode_hold, decoded

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RedisHoldJournal:
    """Reads the journal streams of a ``RedisLuaInventoryEngine`` with the same key ``prefix``."""

    def __init__(self, redis: Redis, prefix: str = "hf") -> None:
        self._redis = redis
        self._keys = RedisKeys(prefix)

    async def journal_listings(self) -> list[UUID]:
        members = decoded(await self._redis.smembers(self._keys.listings))
        return sorted(UUID(member) for member in members)

    async def read_journal(
        self, listing_id: UUID, after: str | None, limit: int
    ) -> list[JournalEntry | UnreadableEntry]:
        start = "-" if after is None else f"({after}"
        stream = self._keys.listing(listing_id).journal
        entries = decoded(await self._redis.xrange(stream, min=start, max="+", count=limit))
        return [_readable(listing_id, entry_id, fields) for entry_id, fields in entries]

    async def trim_journal(self, listing_id: UUID, through: str) -> None:
        await self._redis.xtrim(self._keys.listing(listing_id).journal, minid=_next_id(through), approximate=False)


def _readable(listing_id: UUID, entry_id: str, fields: dict[str, Any]) -> JournalEntry | UnreadableEntry:
    try:
        return _entry(listing_id, entry_id, fields)
    except (KeyError, ValueError, TypeError) as exc:  # json's errors are ValueErrors
        return UnreadableEntry(entry_id, listing_id, f"{type(exc).__name__}: {exc}")


def _entry(listing_id: UUID, entry_id: str, fields: dict[str, Any]) -> JournalEntry:
    event = fields["event"]
    if event != PLACED:
        HoldStatus(event)  # a status a hold can move to, or the entry means nothing
    hold = decode_hold("active", fields["body"]) if event == PLACED else None
    by = decode_by(fields.get("by"))
    return JournalEntry(entry_id, listing_id, event, UUID(fields["hold"]), _moment(entry_id, fields), hold, by)


def _moment(entry_id: str, fields: dict[str, Any]) -> datetime:
    """The caller's clock when the script had one (``at``), else the time in the entry's id."""
    millis = int(fields.get("at") or entry_id.split("-", 1)[0])
    return _EPOCH + timedelta(milliseconds=millis)


def _next_id(entry_id: str) -> str:
    """The smallest stream id after ``entry_id``: MINID keeps ids at or above it."""
    millis, sequence = entry_id.split("-", 1)
    return f"{millis}-{int(sequence) + 1}"
