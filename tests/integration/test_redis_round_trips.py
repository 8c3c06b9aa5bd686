"""Concurrent engine calls share round trips (``SharedRoundTrips``), on a real Redis, and each
caller still gets exactly what its own pipeline would have given it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from infrastructure.inventory.redis_round_trips import SharedRoundTrips
from infrastructure.redis_connections import with_fast_packing
from tests import servers


class CountingRedis(Redis):
    """The real client; counts the pipelines it sends (one a round trip)."""

    sent = 0

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        CountingRedis.sent += 1
        return super().pipeline(transaction, shard_hint)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[CountingRedis]:
    client = CountingRedis.from_url(redis_url.rsplit("/", 1)[0] + "/6")
    await client.flushdb()
    CountingRedis.sent = 0
    try:
        yield client
    finally:
        await client.aclose()


async def test_callers_of_one_turn_share_one_round_trip_and_each_gets_its_replies(redis: CountingRedis) -> None:
    trips = SharedRoundTrips(redis)

    def caller(i: int) -> Any:
        return trips.run(lambda p: (p.set(f"k{i}", i), p.incrby(f"k{i}", 100), p.get(f"k{i}")))

    replies = await asyncio.gather(*(caller(i) for i in range(50)))
    assert replies == [[True, 100 + i, str(100 + i).encode()] for i in range(50)]
    assert CountingRedis.sent == 1


async def test_a_later_turn_is_a_round_trip_of_its_own(redis: CountingRedis) -> None:
    trips = SharedRoundTrips(redis)
    assert await trips.run(lambda p: p.incr("n")) == [1]
    assert await trips.run(lambda p: p.incr("n")) == [2]
    assert CountingRedis.sent == 2


async def test_a_command_error_goes_to_its_caller_alone(redis: CountingRedis) -> None:
    trips = SharedRoundTrips(redis)
    await redis.hset("a-hash", "f", "v")
    results = await asyncio.gather(
        trips.run(lambda p: p.incr("fine")),
        trips.run(lambda p: (p.incr("also-fine"), p.incr("a-hash"))),  # INCR on a hash: WRONGTYPE
        trips.run(lambda p: p.evalsha("0" * 40, 0)),  # no such script
        trips.run(lambda p: p.incr("fine")),
        return_exceptions=True,
    )
    assert results[0] == [1]
    assert isinstance(results[1], ResponseError)
    assert isinstance(results[2], NoScriptError)  # what LuaScripts.run reloads on
    assert results[3] == [2]
    assert await redis.get("also-fine") == b"1"  # the caller's commands before its error ran, as in its own pipeline
    assert CountingRedis.sent == 1


async def test_a_caller_whose_build_fails_sends_nothing_and_the_others_go_on(redis: CountingRedis) -> None:
    trips = SharedRoundTrips(redis)

    def broken(pipe: Pipeline) -> None:
        pipe.set("half", "written")
        raise ValueError("a mistake in building")

    results = await asyncio.gather(
        trips.run(broken), trips.run(lambda p: p.set("whole", "yes")), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1] == [True]
    assert await redis.get("half") is None


async def test_a_caller_that_stops_waiting_leaves_the_others_answered(redis: CountingRedis) -> None:
    trips = SharedRoundTrips(redis)
    gone = asyncio.ensure_future(trips.run(lambda p: p.set("gone", 1)))
    kept = asyncio.ensure_future(trips.run(lambda p: p.incr("kept")))
    await asyncio.sleep(0)
    gone.cancel()
    assert await kept == [1]
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_a_lost_connection_fails_every_caller_of_the_round_trip() -> None:
    client = Redis(host="127.0.0.1", port=servers.free_port(), socket_connect_timeout=1)
    trips = SharedRoundTrips(client)
    try:
        results = await asyncio.gather(
            trips.run(lambda p: p.incr("a")), trips.run(lambda p: p.incr("b")), return_exceptions=True
        )
    finally:
        await client.aclose()
    assert all(isinstance(result, RedisConnectionError) for result in results), results


async def test_a_redis_that_stops_answering_fails_the_round_trip_within_its_socket_timeout(redis_url: str) -> None:
    """The replies of a round trip share one deadline (``redis_connections.one_deadline``): when
    Redis stops answering, every caller gets redis-py's ``TimeoutError``, the connection is
    dropped, and the next round trip is answered on a fresh one."""
    url = redis_url.rsplit("/", 1)[0] + "/6"
    pool = with_fast_packing(BlockingConnectionPool.from_url(url, socket_timeout=0.3))
    client, pauser = Redis(connection_pool=pool), Redis.from_url(url)
    trips = SharedRoundTrips(client)
    try:
        assert await trips.run(lambda p: p.ping()) == [True]
        await pauser.execute_command("CLIENT", "PAUSE", 2000, "ALL")
        results = await asyncio.gather(
            trips.run(lambda p: p.incr("paused-a")), trips.run(lambda p: p.incr("paused-b")), return_exceptions=True
        )
        assert all(isinstance(result, RedisTimeoutError) for result in results), results
        assert all(isinstance(result.__cause__, TimeoutError) for result in results)  # the shared deadline's
        await pauser.execute_command("CLIENT", "UNPAUSE")
        assert await trips.run(lambda p: p.ping()) == [True]
    finally:
        await pauser.execute_command("CLIENT", "UNPAUSE")
        await client.aclose()
        await pauser.aclose()
