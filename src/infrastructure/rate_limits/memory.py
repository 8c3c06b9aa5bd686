"""Token buckets in this process: the embedded default's limiter (no Redis).

The arithmetic is ``lua/rate_limit.lua``'s, step for step and in the same float operations, so
both adapters answer every check alike (tests/integration/test_rate_limiter.py runs one suite
over both). Buckets live in a dict; past ``max_buckets`` the ones that are full again (as good as
absent) are dropped, then the longest-known ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from application.ports.clock import Clock
from application.ports.rate_limits import BucketState, RateDecision, RateRule
from infrastructure.inventory.redis_codec import to_ms

MAX_BUCKETS = 100_000


def refilled(tokens: float | None, stamp: int, rule: RateRule, now: int) -> tuple[float, int]:
    """A bucket's tokens and time at ``now`` (absent: full; a clock behind it refills nothing)."""
    if tokens is None:
        return float(rule.capacity), now
    if now > stamp:
        return min(rule.capacity, tokens + (now - stamp) * rule.per_second / 1000), now
    return tokens, stamp


def state_of(tokens: float, stamp: int, rule: RateRule, now: int) -> BucketState:
    """What a client is told of a bucket holding ``tokens`` counted at ``stamp``."""
    rate = rule.per_second
    next_token = math.ceil((1 - tokens) * 1000 / rate) + stamp - now if tokens < 1 else 0
    full = math.ceil((rule.capacity - tokens) * 1000 / rate) + stamp - now
    return BucketState(rule.capacity, math.floor(tokens), next_token, full)


class InProcessRateLimiter:
    """The ``RateLimiter`` port in one process's memory (single-process deployments only: each
    process would count on its own)."""

    def __init__(self, clock: Clock, max_buckets: int = MAX_BUCKETS) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, int, RateRule]] = {}
        self._max = max_buckets

    def known_refusal(self, buckets: Sequence[tuple[str, RateRule]]) -> RateDecision | None:
        """None: ``check`` counts in memory already, as cheaply as a refusal could be told."""
        return None

    async def check(self, buckets: Sequence[tuple[str, RateRule]]) -> RateDecision:
        now = to_ms(self._clock.now())
        counted = []
        for key, rule in buckets:
            found = self._buckets.get(key)
            tokens, stamp = refilled(found[0], found[1], rule, now) if found else refilled(None, now, rule, now)
            counted.append((key, rule, tokens, stamp))
        allowed = all(tokens >= 1 for _, _, tokens, _ in counted)
        states = []
        for key, rule, tokens, stamp in counted:
            if allowed:
                tokens -= 1
                self._buckets[key] = (tokens, stamp, rule)
            states.append(state_of(tokens, stamp, rule, now))
        if len(self._buckets) > self._max:
            self._drop_full(now)
        return RateDecision.of(allowed, states)

    def _drop_full(self, now: int) -> None:
        """Forget the buckets that are full again; should that not be enough (a flood of clients
        each with a bucket in use), the longest-known ones too, which forgives them their debt."""
        for key, (tokens, stamp, rule) in list(self._buckets.items()):
            if refilled(tokens, stamp, rule, now)[0] >= rule.capacity:
                del self._buckets[key]
        for key in list(self._buckets)[: max(0, len(self._buckets) - self._max * 9 // 10)]:
            del self._buckets[key]
