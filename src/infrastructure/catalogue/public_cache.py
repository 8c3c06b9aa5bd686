"""The public read API's cache in this process: entries kept for ``max_age``, loads shared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from application.ports.clock import Clock
from infrastructure.catalogue.entries import CatalogueEntries

T = TypeVar("T")
MAX_ENTRIES = 10_000  # the oldest goes first when full


class ProcessPublicCache:
    """``PublicCache`` on the catalogue caches' own entries (``entries.py``): the same shared
    loads, the same bounded size, with every entry fresh for ``max_age`` from its load."""

    def __init__(self, clock: Clock, max_age: timedelta, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age_seconds = max_age.total_seconds()
        self._entries = CatalogueEntries(clock, max_age=max_age, max_listings=max_entries)

    async def get(self, name: str, load: Callable[[], Awaitable[T]]) -> T:
        return await self._entries.get(name, load, _always)


def _always() -> bool:
    return True
