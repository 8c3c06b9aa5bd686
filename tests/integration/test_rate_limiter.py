"""The ``RateLimiter`` port: one suite over both adapters (Redis, on the real server; in process),
on a fake clock. The Redis adapter's own duties (one script call a check, the refusal latch,
reloading its script) follow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from application.ports.rate_limits import RateDecision, RateLimiter, RateRule
from infrastructure.rate_limits.memory import InProcessRateLimiter
from infrastructure.rate_limits.redis import RedisLuaRateLimiter
from tests.fakes.clock import FakeClock

THREE_A_SECOND = RateRule(capacity=3, per_second=1.0)  # a burst of 3, a token a second after


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def prefix() -> str:
    return f"hf-rl-{uuid4().hex}"


@pytest.fixture
async def redis(redis_url: str, prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=["redis", "in-process"])
def limiter(request: pytest.FixtureRequest, clock: FakeClock) -> RateLimiter:
    if request.param == "in-process":
        return InProcessRateLimiter(clock)
    return RedisLuaRateLimiter(request.getfixturevalue("redis"), clock, request.getfixturevalue("prefix"))


async def _check(limiter: RateLimiter, *keys: str, rule: RateRule = THREE_A_SECOND) -> RateDecision:
    return await limiter.check([(key, rule) for key in keys])


async def test_a_burst_is_let_through_then_refused(limiter: RateLimiter) -> None:
    answers = [await _check(limiter, "holds:key:a") for _ in range(4)]
    assert answers == [
        RateDecision(True, limit=3, remaining=2, reset_seconds=1, retry_after_seconds=0),
        RateDecision(True, limit=3, remaining=1, reset_seconds=2, retry_after_seconds=0),
        RateDecision(True, limit=3, remaining=0, reset_seconds=3, retry_after_seconds=0),
        RateDecision(False, limit=3, remaining=0, reset_seconds=3, retry_after_seconds=1),
    ]


async def test_tokens_come_back_at_the_rule_s_rate_up_to_the_burst(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(3):
        await _check(limiter, "holds:key:a")
    clock.advance(0.5)  # half a token: still refused, half a second to wait
    assert await _check(limiter, "holds:key:a") == RateDecision(False, 3, 0, 3, 1)
    clock.advance(0.5)
    assert await _check(limiter, "holds:key:a") == RateDecision(True, 3, 0, 3, 0)
    clock.advance(2.25)  # 2.25 tokens
    assert await _check(limiter, "holds:key:a") == RateDecision(True, 3, 1, 2, 0)
    clock.advance(3600)  # never more than the burst
    assert await _check(limiter, "holds:key:a") == RateDecision(True, 3, 2, 1, 0)


async def test_a_refused_check_takes_no_token(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(3):
        await _check(limiter, "holds:key:a")
    for _ in range(5):
        assert not (await _check(limiter, "holds:key:a")).allowed
    clock.advance(1)
    assert (await _check(limiter, "holds:key:a")).allowed


async def test_buckets_are_separate_by_key(limiter: RateLimiter) -> None:
    for _ in range(3):
        await _check(limiter, "holds:key:a")
    assert not (await _check(limiter, "holds:key:a")).allowed
    assert await _check(limiter, "holds:key:b") == RateDecision(True, 3, 2, 1, 0)
    assert await _check(limiter, "reads:key:a") == RateDecision(True, 3, 2, 1, 0)


async def test_every_bucket_of_a_check_must_have_a_token_and_a_refusal_takes_from_none(limiter: RateLimiter) -> None:
    for _ in range(3):
        await _check(limiter, "holds:ip:10.0.0.1", "holds:key:a")
    # key b's own bucket is full, but the address it shares with a has nothing left
    refused = await _check(limiter, "holds:ip:10.0.0.1", "holds:key:b")
    assert refused == RateDecision(False, 3, 0, 3, 1)
    assert await _check(limiter, "holds:key:b") == RateDecision(True, 3, 2, 1, 0)  # untouched by the refusal


async def test_the_tightest_bucket_is_the_one_told(limiter: RateLimiter) -> None:
    big = RateRule(capacity=10, per_second=2.0)
    await limiter.check([("holds:ip:10.0.0.1", big), ("holds:key:a", THREE_A_SECOND)])
    decision = await limiter.check([("holds:ip:10.0.0.1", big), ("holds:key:a", THREE_A_SECOND)])
    assert decision == RateDecision(True, limit=3, remaining=1, reset_seconds=2, retry_after_seconds=0)


async def test_a_clock_behind_the_bucket_refills_nothing(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(3):
        await _check(limiter, "holds:key:a")
    clock.advance(-10)  # another host's clock, behind this one's
    assert await _check(limiter, "holds:key:a") == RateDecision(False, 3, 0, 13, 11)
    clock.advance(11)
    assert (await _check(limiter, "holds:key:a")).allowed


async def test_slow_rules_wait_whole_seconds_rounded_up(limiter: RateLimiter, clock: FakeClock) -> None:
    ten_a_minute = RateRule(capacity=1, per_second=10 / 60)
    assert (await _check(limiter, "auth:ip:10.0.0.1", rule=ten_a_minute)).allowed
    assert await _check(limiter, "auth:ip:10.0.0.1", rule=ten_a_minute) == RateDecision(False, 1, 0, 6, 6)
    clock.advance(5.5)
    assert await _check(limiter, "auth:ip:10.0.0.1", rule=ten_a_minute) == RateDecision(False, 1, 0, 1, 1)


# The Redis adapter's own duties.


async def _calls(redis: Redis) -> dict[str, int]:
    stats: dict[str, Any] = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}


@pytest.fixture
def on_redis(redis: Redis, clock: FakeClock, prefix: str) -> RedisLuaRateLimiter:
    return RedisLuaRateLimiter(redis, clock, prefix)


async def test_a_check_is_one_script_call(on_redis: RedisLuaRateLimiter, redis: Redis) -> None:
    await on_redis.load_scripts()
    before = await _calls(redis)
    await _check(on_redis, "holds:ip:10.0.0.1", "holds:key:a")
    after = await _calls(redis)
    assert after["evalsha"] - before.get("evalsha", 0) == 1
    assert after.get("script|load", 0) == before.get("script|load", 0)


async def test_a_check_s_buckets_share_a_hash_tag_and_expire(
    on_redis: RedisLuaRateLimiter, redis: Redis, prefix: str
) -> None:
    await _check(on_redis, "holds:ip:10.0.0.1", "holds:key:a")
    keys = sorted([key.decode() async for key in redis.scan_iter(match=f"{prefix}:*")])
    assert keys == [f"{prefix}:{{holds}}:ip:10.0.0.1", f"{prefix}:{{holds}}:key:a"]
    assert all(0 < ttl <= 60_000 for ttl in [await redis.pttl(key) for key in keys])


async def test_a_refused_bucket_is_refused_again_without_redis_until_it_can_have_a_token(
    on_redis: RedisLuaRateLimiter, redis: Redis, clock: FakeClock
) -> None:
    for _ in range(3):
        await _check(on_redis, "holds:key:a")
    first = await _check(on_redis, "holds:key:a")
    before = await _calls(redis)
    clock.advance(0.25)
    again = await _check(on_redis, "holds:key:a")
    assert await _calls(redis) == {**before, "info": before.get("info", 0) + 1}  # nothing but our own INFO
    # what Redis says of the bucket, a quarter of a second later
    assert (first, again) == (RateDecision(False, 3, 0, 3, 1), RateDecision(False, 3, 0, 3, 1))
    elsewhere = RedisLuaRateLimiter(redis, clock, on_redis._prefix)  # another process: asks Redis
    assert await _check(elsewhere, "holds:key:a") == again
    clock.advance(0.75)
    assert (await _check(on_redis, "holds:key:a")).allowed  # the token came: Redis is asked again


async def test_a_script_flushed_from_redis_is_loaded_again(on_redis: RedisLuaRateLimiter, redis: Redis) -> None:
    await _check(on_redis, "holds:key:a")
    await redis.script_flush()
    assert (await _check(on_redis, "holds:key:a")).remaining == 1


async def test_the_in_process_limiter_forgets_buckets_beyond_its_bound(clock: FakeClock) -> None:
    limiter = InProcessRateLimiter(clock, max_buckets=10)
    for n in range(30):
        await _check(limiter, f"reads:key:{n}")
    assert len(limiter._buckets) <= 10
    clock.advance(3)  # every bucket full again: all of them go at the next sweep
    for n in range(30, 41):
        await _check(limiter, f"reads:key:{n}")
    assert set(limiter._buckets) <= {f"reads:key:{n}" for n in range(30, 41)}


async def test_a_known_refusal_is_what_the_check_answers_and_takes_nothing(
    limiter: RateLimiter, clock: FakeClock
) -> None:
    """``known_refusal`` (the hot path asks it first) is never a different answer than ``check``:
    a refusal it knows is the check's refusal; when it knows none (a bucket with tokens, the
    in-process adapter always), it says None and counts nothing."""
    buckets = [("holds:key:a", THREE_A_SECOND)]
    assert limiter.known_refusal(buckets) is None  # a full bucket: nothing refused
    for _ in range(3):
        await _check(limiter, "holds:key:a")
    assert limiter.known_refusal(buckets) is None  # no token left, but no refusal seen yet
    refused = await _check(limiter, "holds:key:a")
    latches = isinstance(limiter, RedisLuaRateLimiter)  # the in-process adapter counts in memory anyway
    assert limiter.known_refusal(buckets) == (refused if latches else None)
    clock.advance(0.5)
    known = limiter.known_refusal(buckets)
    assert known == (await _check(limiter, "holds:key:a") if latches else None)
    clock.advance(0.5)  # the token is due: nothing known any more, and the check lets it through
    assert limiter.known_refusal(buckets) is None
    assert (await _check(limiter, "holds:key:a")).allowed


async def test_the_redis_limiter_knows_a_latched_refusal(redis: Redis, clock: FakeClock, prefix: str) -> None:
    limiter = RedisLuaRateLimiter(redis, clock, prefix)
    for _ in range(4):
        await _check(limiter, "holds:key:a")
    assert limiter.known_refusal([("holds:key:a", THREE_A_SECOND)]) == RateDecision(False, 3, 0, 3, 1)
    # another bucket of the same check with tokens left does not hide the refusal
    both = [("holds:ip:10.0.0.9", THREE_A_SECOND), ("holds:key:a", THREE_A_SECOND)]
    assert limiter.known_refusal(both) == await limiter.check(both)
