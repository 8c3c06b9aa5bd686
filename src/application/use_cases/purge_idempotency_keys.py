"""Forget idempotency records that have outlived their time to live."""

from __future__ import annotations

from datetime import timedelta

from application.ports.clock import Clock
from application.ports.idempotency import IdempotencyStore


class PurgeIdempotencyKeysHandler:
    """Records are kept for ``ttl`` (at least 24 hours) after their first request, then deleted,
    after which the key is free for a new request. Safe to run anywhere, any number of times.
    """

    def __init__(self, store: IdempotencyStore, clock: Clock, ttl: timedelta) -> None:
        self._store, self._clock, self._ttl = store, clock, ttl

    async def __call__(self) -> int:
        return await self._store.purge(self._clock.now() - self._ttl)
