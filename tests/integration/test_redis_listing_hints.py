"""The Redis engine's listing hints: reading or confirming a hold this process has placed or just
read needs no index lookup (one round trip each, the confirm path of issue 9 item 7), and a hint
that no longer finds the hold's record gives way to the index."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from domain.errors import NotFoundError
from domain.inventory import HoldStatus
from infrastructure.inventory.redis_codec import RedisKeys
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from tests.integration.test_redis_engine import RETENTION, T0, counts, engine, hold_on, new_pool, prefix, redis

__all__ = ["engine", "prefix", "redis"]  # fixtures


async def test_a_hold_read_here_is_confirmed_without_its_index(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    listing, pool = await new_pool(engine, 5)
    hold = await engine.place_hold(hold_on(listing, pool, T0), customer_limit=None)
    other = RedisLuaInventoryEngine(redis, prefix=prefix, retention=RETENTION)  # another process
    assert await engine.get_hold(hold.id) is not None

    await redis.delete(RedisKeys(prefix).hold_listing(hold.id))  # a lookup now finds nothing

    with pytest.raises(NotFoundError):
        await other.confirm(hold.id, T0 + timedelta(seconds=1))
    assert (await engine.confirm(hold.id, T0 + timedelta(seconds=1))).status is HoldStatus.CONFIRMED
    assert await counts(engine, pool) == (5, 0, 1)


async def test_a_hold_placed_here_is_read_without_its_index(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    listing, pool = await new_pool(engine, 5)
    hold = await engine.place_hold(hold_on(listing, pool, T0), customer_limit=None)
    other = RedisLuaInventoryEngine(redis, prefix=prefix, retention=RETENTION)  # another process

    await redis.delete(RedisKeys(prefix).hold_listing(hold.id))  # a lookup now finds nothing

    assert await other.get_hold(hold.id) is None
    found = await engine.get_hold(hold.id)
    assert found is not None
    assert (found.id, found.listing_id, found.status) == (hold.id, listing, HoldStatus.ACTIVE)


async def test_a_hint_that_finds_no_record_gives_way_to_the_index(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    first, first_pool = await new_pool(engine, 5)
    second, second_pool = await new_pool(engine, 5)
    hold_id = uuid4()
    await engine.place_hold(hold_on(first, first_pool, T0, hold_id=hold_id), customer_limit=None)
    assert await engine.get_hold(hold_id) is not None  # the hint: the first listing
    await redis.delete(RedisKeys(prefix).listing(first).hold(hold_id))  # its record's retention ran out
    other = RedisLuaInventoryEngine(redis, prefix=prefix, retention=RETENTION)
    await other.place_hold(hold_on(second, second_pool, T0, hold_id=hold_id), customer_limit=None)

    read = await engine.get_hold(hold_id)
    confirmed = await engine.confirm(hold_id, T0 + timedelta(seconds=1))

    assert read is not None
    assert read.listing_id == second
    assert (confirmed.listing_id, confirmed.status) == (second, HoldStatus.CONFIRMED)
    assert await counts(engine, second_pool) == (5, 0, 1)
