"""The redis engine's sold-out latch (``infrastructure.inventory.redis_sold_out``), on a real Redis.

``here`` is the API process under test: its latch lasts an hour, so only a pub/sub message (or
a hold falling due, or a lost subscription) can clear it within a test. ``there`` is another
process's engine, with its own client and connections: what it does must reach ``here``.
Waiting for a message is a bounded poll of the latch, never a sleep that hopes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis.asyncio import BlockingConnectionPool, Redis

from domain.errors import InsufficientInventoryError
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from tests.integration.test_redis_engine import RETENTION, T0, hold_on, new_pool

HOUR = timedelta(hours=1)


@pytest.fixture
def prefix() -> str:
    return f"hf-latch-{uuid4().hex}"


async def _client(url: str) -> Redis:
    pool = BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=16, timeout=30)
    return Redis.from_pool(pool)


@pytest.fixture
async def redis(redis_url: str, prefix: str) -> AsyncIterator[Redis]:
    client = await _client(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def here(redis: Redis, prefix: str) -> AsyncIterator[RedisLuaInventoryEngine]:
    engine = RedisLuaInventoryEngine(redis, prefix=prefix, retention=RETENTION, sold_out_latch=HOUR)
    await engine.sold_out.ready()
    yield engine
    await engine.aclose()


@pytest.fixture
async def there(redis_url: str, prefix: str) -> AsyncIterator[RedisLuaInventoryEngine]:
    client = await _client(redis_url)
    engine = RedisLuaInventoryEngine(client, prefix=prefix, retention=RETENTION)
    yield engine
    await engine.aclose()
    await client.aclose()


async def commands_run(redis: Redis) -> int:
    """Commands Redis has run so far, but for INFO itself (server-wide: this test's server)."""
    stats: dict[str, Any] = await redis.info("commandstats")
    return sum(int(stat["calls"]) for name, stat in stats.items() if name != "cmdstat_info")


async def refused(engine: RedisLuaInventoryEngine, hold: Hold) -> InsufficientInventoryError:
    with pytest.raises(InsufficientInventoryError) as caught:
        await engine.place_hold(hold, None, fresh_id=True)
    return caught.value


async def sold_out(here: RedisLuaInventoryEngine, capacity: int = 1) -> tuple[UUID, UUID, Hold]:
    """A pool sold out by one hold, and latched by one refusal from Redis."""
    listing, pool = await new_pool(here, capacity)
    taken = await here.place_hold(hold_on(listing, pool, T0, ttl=600, qty=capacity), None, fresh_id=True)
    await refused(here, hold_on(listing, pool, T0))
    assert here.sold_out.latched(listing)
    return listing, pool, taken


async def until_cleared(engine: RedisLuaInventoryEngine, listing: UUID) -> None:
    """The message has arrived: the listing's latch is gone (bounded, never a bare sleep)."""
    for _ in range(2000):
        if not engine.sold_out.latched(listing):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the latch was never cleared")


async def test_a_refusal_after_a_sold_out_refusal_asks_redis_nothing_and_is_the_same(
    here: RedisLuaInventoryEngine, redis: Redis
) -> None:
    listing, pool = await new_pool(here, capacity=3)
    await here.place_hold(hold_on(listing, pool, T0, qty=2), None, fresh_id=True)
    from_redis = await refused(here, hold_on(listing, pool, T0, qty=2))
    before = await commands_run(redis)
    latched = [await refused(here, hold_on(listing, pool, T0 + timedelta(seconds=1), qty=q)) for q in (2, 5)]
    assert await commands_run(redis) == before
    for error in latched:
        assert (error.short, error.message, error.code) == (from_redis.short, from_redis.message, from_redis.code)
        assert error.short == {pool: 1}
    # Asking no more than the pool had goes to Redis, and is placed.
    placed = await here.place_hold(hold_on(listing, pool, T0, qty=1), None, fresh_id=True)
    assert placed.status is HoldStatus.ACTIVE
    assert await commands_run(redis) > before


async def test_a_hold_whose_id_the_client_chose_is_asked_of_redis(here: RedisLuaInventoryEngine) -> None:
    """A retry of the hold that sold the pool out is answered with that hold, latched or not."""
    listing, _, taken = await sold_out(here)
    again = await here.place_hold(taken, None)  # the use case passes fresh_id only for ids it made
    assert again.id == taken.id
    assert again.status is HoldStatus.ACTIVE
    assert here.sold_out.latched(listing)


async def test_multi_line_holds_are_asked_of_redis(here: RedisLuaInventoryEngine, redis: Redis) -> None:
    listing, pool, _ = await sold_out(here)
    other = uuid4()
    await here.add_pool(PoolCounters(other, listing, 5))
    await until_cleared(here, listing)  # a pool added announces units on the listing
    await refused(here, hold_on(listing, pool, T0))
    hold = hold_on(listing, pool, T0)
    two_lines = replace(hold, lines=(*hold.lines, HoldLine(other, 1, unit_price=1200)))
    before = await commands_run(redis)
    error = await refused(here, two_lines)
    assert error.short == {pool: 0}
    assert await commands_run(redis) > before


@pytest.mark.parametrize("how", ["release", "expire", "cancel", "resize", "restore", "add_pool"])
async def test_units_given_back_in_another_process_clear_the_latch(
    here: RedisLuaInventoryEngine, there: RedisLuaInventoryEngine, how: str
) -> None:
    listing, pool, taken = await sold_out(here)
    if how == "release":
        await there.release(taken.id, T0)
    elif how == "expire":
        assert [h.id for h in await there.expire_due(taken.expires_at)] == [taken.id]
    elif how == "cancel":
        await there.confirm(taken.id, T0)  # held -> sold: nothing comes back
        await there.cancel(taken.id)
    elif how == "resize":
        await there.resize(pool, 2)
    elif how == "restore":
        await there.restore(listing, [PoolCounters(pool, listing, 1)], [], T0)
    else:
        await there.add_pool(PoolCounters(uuid4(), listing, 1))
    await until_cleared(here, listing)
    if how != "add_pool":  # (a pool added gives this pool nothing: the refusal comes from Redis again)
        at = taken.expires_at if how == "expire" else T0
        placed = await here.place_hold(hold_on(listing, pool, at), None, fresh_id=True)
        assert placed.status is HoldStatus.ACTIVE


async def test_a_resize_that_gives_nothing_back_keeps_the_latch(
    here: RedisLuaInventoryEngine, there: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    """Messages reach a subscriber in the order they were published: once a message published
    after the resize is heard, one the resize had published would have been heard too."""
    listing, pool, _ = await sold_out(here)
    heard = here.sold_out.heard
    await there.resize(pool, 1)  # the same capacity: nothing comes back
    assert await redis.publish(f"{prefix}:available", str(uuid4())) == 1  # another listing's
    for _ in range(2000):
        if here.sold_out.heard > heard:
            break
        await asyncio.sleep(0.005)
    assert here.sold_out.heard == heard + 1
    assert here.sold_out.latched(listing)


async def test_a_hold_falling_due_is_not_refused_past_its_expiry(here: RedisLuaInventoryEngine, redis: Redis) -> None:
    """No script announces a hold falling due: the refusal is not used from its expiry on."""
    listing, pool, taken = await sold_out(here)
    await refused(here, hold_on(listing, pool, taken.expires_at - timedelta(milliseconds=1)))
    placed = await here.place_hold(hold_on(listing, pool, taken.expires_at), None, fresh_id=True)
    assert placed.status is HoldStatus.ACTIVE


async def test_a_lost_subscription_clears_every_latch_and_latches_nothing_until_back(
    here: RedisLuaInventoryEngine, redis: Redis
) -> None:
    listing, pool, _ = await sold_out(here)
    other_listing, _other_pool, _ = await sold_out(here)
    latch = here.sold_out
    assert await redis.client_kill_filter(_type="pubsub") >= 1
    for _ in range(2000):  # until this process notices: reconnected, not yet confirmed
        if not latch.latched(listing):
            break
        await asyncio.sleep(0.005)
    assert not latch.latched(listing)
    assert not latch.latched(other_listing)
    await latch.ready()  # subscribed again
    await refused(here, hold_on(listing, pool, T0))
    assert latch.latched(listing)  # latching again once the subscription is confirmed


async def test_nothing_is_latched_while_not_subscribed(redis_url: str, redis: Redis, prefix: str) -> None:
    """A process whose subscription cannot be made (its Redis user may not use channels) asks
    Redis for every hold, as without the latch."""
    user = f"latchless-{uuid4().hex[:8]}"
    await redis.execute_command("ACL", "SETUSER", user, "on", "nopass", "~*", "resetchannels", "+@all")
    host, port = redis_url.split("//", 1)[1].split("/", 1)[0].split(":")
    client = Redis.from_pool(
        BlockingConnectionPool(host=host, port=int(port), username=user, decode_responses=True, max_connections=8)
    )
    engine = RedisLuaInventoryEngine(client, prefix=prefix, retention=RETENTION, sold_out_latch=HOUR)
    try:  # (the pool is added by a user who may publish: a pool added announces units)
        listing, pool = await new_pool(RedisLuaInventoryEngine(redis, prefix=prefix, sold_out_latch=HOUR * 0), 1)
        await engine.place_hold(hold_on(listing, pool, T0), None, fresh_id=True)
        for _ in range(3):
            before = await commands_run(redis)
            await refused(engine, hold_on(listing, pool, T0))
            assert await commands_run(redis) > before
            assert not engine.sold_out.latched(listing)
    finally:
        await engine.aclose()
        await client.aclose()
        await redis.execute_command("ACL", "DELUSER", user)


async def test_racing_holds_and_releases_never_oversell_and_end_in_a_hold_that_is_placed(
    here: RedisLuaInventoryEngine, there: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    """Holds in this process race releases in another: never more held than the capacity, and
    once every release's message is heard, a pool with units left places the next hold."""
    capacity = 5
    listing, pool = await new_pool(there, capacity)
    others = [await there.place_hold(hold_on(listing, pool, T0), None) for _ in range(capacity)]

    async def hold() -> Hold | InsufficientInventoryError:
        try:
            return await here.place_hold(hold_on(listing, pool, T0), None, fresh_id=True)
        except InsufficientInventoryError as exc:
            return exc

    async def release(taken: Hold) -> None:
        await asyncio.sleep(0)
        await there.release(taken.id, T0)

    racing = [hold() for _ in range(60)] + [release(taken) for taken in others]
    random_order = [racing[i] for i in sorted(range(len(racing)), key=lambda i: (i * 37) % len(racing))]
    results = await asyncio.gather(*random_order)
    placed = [found for found in results if isinstance(found, Hold)]
    refusals = [found for found in results if isinstance(found, InsufficientInventoryError)]
    assert all(refusal.short == {pool: 0} for refusal in refusals)  # one unit asked: refused only at 0
    assert len(placed) <= capacity
    assert (await there.counters([pool]))[0].held == len(placed)
    if placed:  # give one back, so the pool has a unit for certain
        await there.release(placed[0].id, T0)
    heard = here.sold_out.heard
    assert await redis.publish(f"{prefix}:available", str(uuid4())) == 1  # after every release's
    for _ in range(2000):
        if here.sold_out.heard > heard:
            break
        await asyncio.sleep(0.005)
    last = await here.place_hold(hold_on(listing, pool, T0), None, fresh_id=True)
    assert last.status is HoldStatus.ACTIVE
    assert (await there.counters([pool]))[0].held <= capacity


RELEASE_IN_ANOTHER_PROCESS = """
import asyncio, sys
from datetime import datetime
from uuid import UUID
from redis.asyncio import Redis
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine

async def main() -> None:
    redis = Redis.from_url(sys.argv[1], decode_responses=True)
    engine = RedisLuaInventoryEngine(redis, prefix=sys.argv[2])
    await engine.release(UUID(sys.argv[3]), datetime.fromisoformat(sys.argv[4]))
    await redis.aclose()

asyncio.run(main())
"""


async def test_a_release_in_another_process_clears_the_latch(
    here: RedisLuaInventoryEngine, redis_url: str, prefix: str
) -> None:
    listing, pool, taken = await sold_out(here)
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RELEASE_IN_ANOTHER_PROCESS, redis_url, prefix, str(taken.id), T0.isoformat()
    )
    assert await other.wait() == 0
    await until_cleared(here, listing)
    placed = await here.place_hold(hold_on(listing, pool, T0), None, fresh_id=True)
    assert placed.status is HoldStatus.ACTIVE
