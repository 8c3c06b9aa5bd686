"""The sold-out latch: refusing a hold on a sold-out pool without asking Redis again.

Under a rush most holds on a hot pool are refusals, and each cost a full script call. Once the
engine has refused a hold for lack of units, this process knows the pool's available count at
that instant; until units can have come back, a hold asking more than that count would be
refused the same way, with the same error (``InsufficientInventoryError`` naming the pool and
that count). The latch answers it here.

When a latched refusal is given, the engine gave the same refusal at an instant at most
``max_age`` before it, and no script that could make units available again on the listing has
been heard of since:

* every script that gives units back (``lua/lib.lua``'s ``announce_available``: release, expire,
  the due holds a place expires, cancel, a capacity raised, a pool added, a restore) publishes
  the listing's id on ``<prefix>:available`` in the same atomic step; each process forgets the
  listing's latches on the message (milliseconds after the script ran);
* a hold falling due gives units back without any script: the refusal carries the listing's
  earliest expiry, and nothing is latched at or past it (the caller's clock, as the scripts');
* nothing is latched while the subscription is not confirmed, everything is forgotten when it
  is lost or made again (messages may have been missed), and a reply that came back after any
  message was heard since its call was sent is not latched (the message may be about it);
* ``max_age`` (``HOLDFAST_SOLD_OUT_LATCH_MS``, 0: off) is the backstop for anything else (a
  message lost while the subscription looked alive, state lost and not yet repaired).

Only single-line holds with an id this process made up are answered here: a multi-line refusal
names every short pool at one instant, which latches taken at several instants cannot promise,
and a client's own hold id may name a hold that exists (answered as it is, not refused).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from redis.asyncio import Redis

from domain.errors import InsufficientInventoryError
from domain.inventory import Hold
from infrastructure.redis_channel import ChannelListener

DEFAULT_MAX_AGE = timedelta(milliseconds=250)
LISTINGS_KEPT = 10_000  # more listings latched at once: all are forgotten (each is cheap to latch again)


@dataclass(frozen=True, slots=True)
class _Latched:
    available: int
    next_due_ms: float  # the listing's earliest hold expiry when refused (inf: none active)
    until: float  # time.monotonic() past which the latch is not used


class SoldOutLatch:
    def __init__(self, redis: Redis, *, max_age: timedelta = DEFAULT_MAX_AGE, prefix: str = "hf") -> None:
        self._max_age = max_age.total_seconds()
        self._latched: dict[str, dict[str, _Latched]] = {}  # listing id -> pool id -> latch
        self._heard = 0  # messages and subscription changes so far: a reply older than one is not latched
        self._channel = ChannelListener(
            redis, f"{prefix}:available", heard=self._forget, reset=self._forget_all, lost="the sold-out latch off"
        )

    @property
    def enabled(self) -> bool:
        return self._max_age > 0

    @property
    def heard(self) -> int:
        """Taken before a call is sent, and given back to ``remember`` with its refusal."""
        return self._heard

    def refusal(self, hold: Hold, now_ms: int) -> InsufficientInventoryError | None:
        """The refusal the engine gave lately and would give ``hold`` (a single line asking more
        than the pool had), or None: ask the engine."""
        if len(hold.lines) != 1 or not self._latched:
            return None
        line = hold.lines[0]
        pools = self._latched.get(str(hold.listing_id))
        latched = pools.get(str(line.pool_id)) if pools is not None else None
        if latched is None or line.quantity <= latched.available:
            return None
        if now_ms >= latched.next_due_ms or time.monotonic() >= latched.until:
            del pools[str(line.pool_id)]  # type: ignore[union-attr]
            return None
        return InsufficientInventoryError({line.pool_id: latched.available})

    def remember(self, listing_id: UUID, short: dict[UUID, int], next_due_ms: float, heard: int) -> None:
        """Latch the short pools of a refusal whose call was sent when ``heard`` was current."""
        if not self.enabled or heard != self._heard or not self._channel.subscribed.is_set():
            return
        if len(self._latched) >= LISTINGS_KEPT:  # (stale entries of listings nobody asks for again)
            self._latched.clear()
        until = time.monotonic() + self._max_age
        pools = self._latched.setdefault(str(listing_id), {})
        for pool_id, available in short.items():
            pools[str(pool_id)] = _Latched(available, next_due_ms, until)

    def latched(self, listing_id: UUID) -> bool:
        """Whether anything of the listing is latched (tests wait on it)."""
        return bool(self._latched.get(str(listing_id)))

    def listen(self) -> None:
        """Start hearing the announcements (idempotent): the app's lifespan does, and until then
        (or with ``max_age`` 0) nothing is latched. ``aclose`` stops it."""
        if self.enabled:
            self._channel.listen()

    async def ready(self) -> None:
        """Wait until announcements are heard (and so refusals latched): tests' warm-up."""
        if self.enabled:
            await self._channel.ready()

    async def aclose(self) -> None:
        await self._channel.aclose()
        self._forget_all()

    def _forget(self, listing: str) -> None:
        self._heard += 1
        self._latched.pop(listing, None)

    def _forget_all(self) -> None:
        self._heard += 1
        self._latched.clear()
