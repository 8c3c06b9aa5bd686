"""Rate limiting, as a port: token buckets a request must find a token in before anything runs.

A bucket holds at most ``capacity`` tokens (the burst) and gains ``per_second`` tokens a second,
up to its capacity; a request takes one token from each of its buckets. One check covers all of
a request's buckets (its identity's and its client address's) atomically: it is allowed only if
every bucket has a token, and then takes one from each; a refused request takes nothing. A bucket
nobody used is full.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateRule:
    """A token bucket's shape: ``capacity`` tokens at most, ``per_second`` tokens gained a second."""

    capacity: int
    per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or not (self.per_second > 0 and math.isfinite(self.per_second)):
            raise ValueError(f"a rate rule needs a capacity >= 1 and a rate > 0, got {self}")


@dataclass(frozen=True, slots=True)
class BucketState:
    """One bucket after a check: whole tokens left, and the milliseconds until it has a token
    again (0 while it has one) and until it is full."""

    capacity: int
    remaining: int
    next_token_ms: int
    full_ms: int


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What a check decided, as a client is told it (``X-RateLimit-*``, ``Retry-After``).

    ``limit``, ``remaining`` and ``reset_seconds`` describe the request's tightest bucket (fewest
    tokens left): its capacity, its whole tokens left after this request, and the seconds until
    it is full again. ``retry_after_seconds`` (refused only, else 0) is when every bucket that
    refused has a token again.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    @classmethod
    def of(cls, allowed: bool, buckets: Sequence[BucketState]) -> RateDecision:
        tightest = buckets[0]
        for bucket in buckets[1:]:  # (a loop, not min(key=...): every request comes here)
            if (bucket.remaining, -bucket.full_ms) < (tightest.remaining, -tightest.full_ms):
                tightest = bucket
        retry = 0 if allowed else max(1, _seconds(max(b.next_token_ms for b in buckets)))
        return cls(allowed, tightest.capacity, tightest.remaining, _seconds(tightest.full_ms), retry)


def _seconds(ms: int) -> int:
    return -(-ms // 1000)


class RateLimiter(Protocol):
    """Token buckets, named by key, shared by every process that uses the same store.

    ``check`` takes a token from every bucket in ``buckets`` (key, rule) if each has one, or none;
    time is the limiter's clock. Adapters must agree exactly (tests/integration/test_rate_limiter.py
    runs one suite over each).
    """

    async def check(self, buckets: Sequence[tuple[str, RateRule]]) -> RateDecision: ...

    def known_refusal(self, buckets: Sequence[tuple[str, RateRule]]) -> RateDecision | None:
        """The refusal ``check`` would answer now, if this process already knows it without
        asking its store (no I/O, nothing taken); None when it does not (then ask ``check``).
        A flood from one client is refused through here: it must cost as little as can be."""
        ...
