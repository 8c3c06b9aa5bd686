"""Token buckets in Redis: one ``lua/rate_limit.lua`` call (EVALSHA) a check, shared by every API
process, with refusals remembered in the process until they end.

Time is the caller's clock (the container's), as for the inventory scripts: tests move a fake
one, and API hosts are expected to keep their clocks in step (NTP). A host whose clock runs
behind a bucket's last count refills nothing until it catches up, so skew between hosts can
only delay a refill by the skew, never give extra tokens.

**The refusal latch.** A bucket that refused a request has less than a token until
``next_token_ms`` has passed, whatever other processes do (they can only take tokens, and only
when the bucket has one). So a refused bucket is remembered here until then, and a check that
names it is refused again without a round trip, with what Redis would say of that bucket (no
token, the same wait, the same time to full): under a flood from one client, the refusals cost
no Redis command. Only the latched buckets are described in such an answer.

**Redis lost.** While Redis cannot be reached, checks count in ``fallback`` (this process's
own buckets) instead of failing: the limits still hold per process (a client spread over N API
processes gets up to N times its rule), and what needs only Postgres keeps working in degraded
mode (tests/integration/test_degraded_mode.py) rather than every /v1 request becoming a 503
for want of a counter. Requests that need Redis themselves (holds on the redis engine) still get
their 503 from what they need. After a failure Redis is asked again only ``RETRY_SECONDS``
later, so a Redis that hangs delays one check a process per interval, not every request.
Without a fallback, a lost Redis fails the check (a 503 with Retry-After at the edge).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from loguru import logger
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from application.ports.clock import Clock
from application.ports.rate_limits import BucketState, RateDecision, RateLimiter, RateRule
from infrastructure.inventory.redis_codec import to_ms
from infrastructure.inventory.redis_round_trips import SharedRoundTrips
from infrastructure.inventory.redis_scripts import LuaScripts

SCRIPT = "rate_limit"
MAX_LATCHED = 100_000
RETRY_SECONDS = 1.0  # after Redis failed a check, how long checks count in the fallback
# Redis not there (refused, reset, timed out, still loading its data): what the fallback covers.
UNREACHABLE = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError, OSError)


def _seconds(ms: int) -> int:
    return -(-ms // 1000)  # whole seconds, rounded up (as RateDecision.of counts them)


@lru_cache(maxsize=1024)  # few distinct refusals: a bucket's size, and whole seconds to wait
def _refusal(capacity: int, reset_seconds: int, retry_after_seconds: int) -> RateDecision:
    return RateDecision(False, capacity, 0, reset_seconds, retry_after_seconds)


class RedisLuaRateLimiter:
    """The ``RateLimiter`` port on Redis. A bucket ``"holds:key:..."`` is the hash
    ``<prefix>:{holds}:key:...``: a key's text up to its first ``:`` is its hash tag, so the
    buckets of one check (one route class) share a Redis Cluster slot."""

    def __init__(
        self,
        redis: Redis,
        clock: Clock,
        prefix: str = "hf:rl",
        *,
        fallback: RateLimiter | None = None,
        lua_dir: Path | None = None,
    ) -> None:
        self._clock = clock
        self._fallback = fallback
        self._lost_until = 0.0  # (monotonic) while Redis is taken as lost, the fallback counts
        self._trips = SharedRoundTrips(redis)  # concurrent checks of a process share round trips
        self._scripts = LuaScripts(lua_dir, names=(SCRIPT,), library=None)
        self._prefix = prefix
        self._latched: dict[str, tuple[int, int, int]] = {}  # bucket -> (token at, full at, capacity), ms

    async def load_scripts(self) -> None:
        await self._scripts.load(self._trips.redis)

    def known_refusal(self, buckets: Sequence[tuple[str, RateRule]]) -> RateDecision | None:
        """A refusal from the latch (see the module's docstring), with no round trip."""
        return self._latched_refusal(buckets, to_ms(self._clock.now())) if self._latched else None

    async def check(self, buckets: Sequence[tuple[str, RateRule]]) -> RateDecision:
        now = to_ms(self._clock.now())
        if (refused := self._latched_refusal(buckets, now)) is not None:
            return refused
        if self._fallback is None:
            return await self._check(buckets, now)
        if self._lost_until > time.monotonic():
            return await self._fallback.check(buckets)
        try:
            return await self._check(buckets, now)
        except UNREACHABLE as exc:
            logger.warning("rate limits count in this process for {} s: Redis is unreachable ({})", RETRY_SECONDS, exc)
            self._lost_until = time.monotonic() + RETRY_SECONDS
            return await self._fallback.check(buckets)

    async def _check(self, buckets: Sequence[tuple[str, RateRule]], now: int) -> RateDecision:
        keys = [self._redis_key(key) for key, _ in buckets]
        args: list[object] = [now]
        for _, rule in buckets:
            args += (rule.capacity, repr(rule.per_second))

        def build(pipe: Pipeline) -> None:
            self._scripts.call(pipe, SCRIPT, keys, args)

        [reply] = await self._scripts.run(self._trips, build)
        states = [
            BucketState(rule.capacity, int(reply[i]), int(reply[i + 1]), int(reply[i + 2]))
            for (_, rule), i in zip(buckets, range(1, len(reply), 3), strict=True)
        ]
        allowed = int(reply[0]) == 1
        if not allowed:
            self._latch(buckets, states, now)
        return RateDecision.of(allowed, states)

    def _redis_key(self, key: str) -> str:
        group, _, rest = key.partition(":")
        return f"{self._prefix}:{{{group}}}:{rest}"

    def _latched_refusal(self, buckets: Sequence[tuple[str, RateRule]], now: int) -> RateDecision | None:
        """``RateDecision.of(False, <the latched buckets' states>)``, worked out here without the
        states: each has no token, so the tightest is the one longest from full (the first of
        equals), and the wait is the longest until a token. A flood's every refusal comes here."""
        tightest: tuple[int, int, int] | None = None
        token_at = 0
        for key, _ in buckets:
            found = self._latched.get(key)
            if found is not None and now < found[0]:
                if tightest is None or found[1] > tightest[1]:
                    tightest = found
                token_at = max(token_at, found[0])
        if tightest is None:
            return None
        return _refusal(tightest[2], _seconds(tightest[1] - now), max(1, _seconds(token_at - now)))

    def _latch(self, buckets: Sequence[tuple[str, RateRule]], states: list[BucketState], now: int) -> None:
        if len(self._latched) >= MAX_LATCHED:
            self._latched = {key: at for key, at in self._latched.items() if at[0] > now}
            if len(self._latched) >= MAX_LATCHED:
                self._latched.clear()  # (a latch is only a shortcut: Redis answers alike)
        for (key, _), state in zip(buckets, states, strict=True):
            if state.next_token_ms > 0:
                self._latched[key] = (now + state.next_token_ms, now + state.full_ms, state.capacity)
