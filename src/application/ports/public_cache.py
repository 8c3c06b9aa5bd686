"""The public read API's own cache: short-lived answers kept in each process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class PublicCache(Protocol):
    """Each entry is kept at most the adapter's stated ``max_age`` after its load began, then
    loaded again; concurrent reads of an entry being loaded share the load; a failed load (not
    found) is never kept. Nothing tells it of changes: the bound is its whole promise, so what
    it keeps must be what a few seconds' staleness may show (availability, the listing index),
    or keyed by what changes it (a listing's versions)."""

    max_age_seconds: float

    async def get(self, name: str, load: Callable[[], Awaitable[T]]) -> T:
        """The entry ``name``, or what ``load`` returns (then kept)."""
        ...
