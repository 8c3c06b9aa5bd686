"""What both catalogue caches keep in a process: named entries, loads shared, changes forgotten.

An entry is kept until ``fresh_until`` (``max_age`` after its load began; none: until it is
forgotten). Concurrent reads of an entry being loaded wait for the same load. Every forget moves
a generation: a load begun before a forget is returned to its callers but not kept, since it
may have read what the forget was about. Listings are kept up to ``max_listings``, the oldest
forgotten first; the key directory (``KEYS``) always has its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from application.ports.clock import Clock
from domain.tenants import KeyHolder

T = TypeVar("T")
KEYS = "keys"
LISTING = "listing:"
TENANT = "tenant:"  # a signed-in user's tenant (tenants do not change; a deleted one is forgotten)
MAX_LISTINGS = 10_000


def holder_in(directory: dict[str, KeyHolder], key_hash: str, now: datetime) -> KeyHolder | None:
    """The key's holder from a cached directory, if the key is still active at ``now``: a
    grace period's end is checked on each read, so it needs no forgetting."""
    holder = directory.get(key_hash)
    return holder if holder is not None and holder.active_at(now) else None


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    fresh_until: datetime | None


class CatalogueEntries:
    def __init__(self, clock: Clock, *, max_age: timedelta | None, max_listings: int = MAX_LISTINGS) -> None:
        self._clock, self._max_age, self._max_listings = clock, max_age, max_listings
        self._entries: dict[str, _Entry[Any]] = {}
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._generation = 0

    async def get(self, name: str, load: Callable[[], Awaitable[T]], keep: Callable[[], bool]) -> T:
        """The entry, or what ``load`` returns (kept if ``keep()`` still holds once loaded)."""
        entry = self._entries.get(name)
        now = self._clock.now()
        if entry is not None and (entry.fresh_until is None or now < entry.fresh_until):
            return entry.value  # type: ignore[no-any-return]
        loading = self._loading.get(name)
        if loading is None:
            loading = asyncio.ensure_future(self._load(name, load, keep, now))
            self._loading[name] = loading
            loading.add_done_callback(lambda done: self._loaded(name, done))
        return await asyncio.shield(loading)  # type: ignore[no-any-return]

    def forget(self, name: str) -> None:
        self._generation += 1
        self._entries.pop(name, None)
        self._loading.pop(name, None)  # later reads start a load of their own

    def forget_all(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._loading.clear()

    async def _load(self, name: str, load: Callable[[], Awaitable[T]], keep: Callable[[], bool], now: datetime) -> T:
        generation = self._generation
        value = await load()
        if keep() and generation == self._generation:
            self._keep(name, _Entry(value, None if self._max_age is None else now + self._max_age))
        return value

    def _loaded(self, name: str, done: asyncio.Future[Any]) -> None:
        if self._loading.get(name) is done:
            del self._loading[name]
        if not done.cancelled():
            done.exception()  # retrieved here: a waiter may have gone (a client hung up)

    def _keep(self, name: str, entry: _Entry[Any]) -> None:
        self._entries.pop(name, None)
        self._entries[name] = entry  # newest last: the oldest listing goes first when full
        if len(self._entries) > self._max_listings + 1:  # + 1: the key directory
            oldest = next(other for other in self._entries if other != KEYS)
            del self._entries[oldest]
