"""What the conformance suite cannot see of the Redis engine: scripts, slots, journal, races."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis.asyncio import BlockingConnectionPool, Redis
from redis.crc import key_slot

from application.errors import InventoryUnavailableError
from domain.errors import HoldExpiredError, HoldMismatchError, InsufficientInventoryError
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.inventory.redis_scripts import SCRIPT_NAMES, LuaScripts, find_lua_dir

TENANT = UUID("00000000-0000-4000-8000-000000000001")
T0 = datetime(2030, 1, 1, tzinfo=UTC)
RETENTION = timedelta(hours=1)


@pytest.fixture
def prefix() -> str:
    return f"hf-it-{uuid4().hex}"


@pytest.fixture
async def redis(redis_url: str, prefix: str) -> AsyncIterator[Redis]:
    """A text-mode client (the conformance suite's clients are bytes-mode), cleaned up after."""
    pool = BlockingConnectionPool.from_url(redis_url, decode_responses=True, max_connections=64, timeout=30)
    client = Redis.from_pool(pool)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def engine(redis: Redis, prefix: str) -> RedisLuaInventoryEngine:
    return RedisLuaInventoryEngine(redis, prefix=prefix, retention=RETENTION)


def hold_on(listing: UUID, pool: UUID, at: datetime, ttl: int = 10, qty: int = 1, hold_id: UUID | None = None) -> Hold:
    return Hold(
        id=hold_id or uuid4(),
        tenant_id=TENANT,
        listing_id=listing,
        customer_ref=f"customer-{uuid4().hex[:8]}",
        lines=(HoldLine(pool, qty, unit_price=1200),),
        currency="EUR",
        created_at=at,
        expires_at=at + timedelta(seconds=ttl),
    )


async def new_pool(engine: RedisLuaInventoryEngine, capacity: int) -> tuple[UUID, UUID]:
    listing, pool = uuid4(), uuid4()
    await engine.add_pool(PoolCounters(pool, listing, capacity))
    return listing, pool


async def counts(engine: RedisLuaInventoryEngine, pool: UUID) -> tuple[int, int, int]:
    [counters] = await engine.counters([pool])
    return counters.capacity, counters.held, counters.sold


async def journal(redis: Redis, prefix: str, listing: UUID) -> list[tuple[str, str]]:
    entries = await redis.xrange(f"{prefix}:{{{listing}}}:journal")
    return [(fields["event"], fields["hold"]) for _, fields in entries]


def test_the_scripts_are_found_next_to_the_package() -> None:
    """The editable install runs the sources in place, so ``lua/`` is the checkout's."""
    lua_dir = find_lua_dir()
    assert lua_dir.name == "lua"
    assert all((lua_dir / f"{name}.lua").is_file() for name in SCRIPT_NAMES)


async def test_scripts_are_loaded_again_after_script_flush(engine: RedisLuaInventoryEngine, redis: Redis) -> None:
    listing, pool = await new_pool(engine, capacity=3)
    first = await engine.place_hold(hold_on(listing, pool, T0), None)

    await redis.script_flush()
    second = await engine.place_hold(hold_on(listing, pool, T0), None)
    await redis.script_flush()
    await engine.confirm(first.id, T0)

    assert (await engine.get_hold(second.id)) == second
    assert await counts(engine, pool) == (3, 1, 1)  # nothing ran twice
    assert all(await redis.script_exists(*LuaScripts().shas))


async def test_every_key_of_a_listing_is_in_the_listing_slot(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    listing, pool = await new_pool(engine, capacity=5)
    held = [await engine.place_hold(hold_on(listing, pool, T0, ttl=ttl), None) for ttl in (5, 50, 50)]
    await engine.confirm(held[1].id, T0)
    await engine.release(held[2].id, T0)
    await engine.expire_due(T0 + timedelta(seconds=10))

    keys = [key async for key in redis.scan_iter(match=f"{prefix}:{{{listing}}}:*")]
    kinds = {key.split(":", 2)[2].split(":")[0] for key in keys}
    assert {"pools", "journal", "hold"} <= kinds <= {"pools", "customers", "expiry", "journal", "hold"}
    assert {key_slot(key.encode()) for key in keys} == {key_slot(str(listing).encode())}


async def exercise_every_script(engine: RedisLuaInventoryEngine) -> None:
    """Each script at least once, including place_hold's second call for undeclared due holds."""
    listing, pool = await new_pool(engine, capacity=2)
    other_listing, other_pool = await new_pool(engine, capacity=1)
    await engine.place_hold(hold_on(listing, pool, T0, ttl=10), None)
    later = T0 + timedelta(seconds=20)
    sold = await engine.place_hold(hold_on(listing, pool, later, qty=2), 5)  # expires the first
    await engine.confirm(sold.id, later)
    await engine.cancel(sold.id)
    await engine.release((await engine.place_hold(hold_on(listing, pool, later), None)).id, later)
    await engine.place_hold(hold_on(listing, pool, later, ttl=5), None)
    assert len(await engine.expire_due(later + timedelta(seconds=10))) == 1
    await engine.resize(pool, 3)
    taken = await engine.place_hold(hold_on(other_listing, other_pool, later), None)
    with pytest.raises(HoldMismatchError):
        await engine.place_hold(hold_on(listing, pool, later, hold_id=taken.id), None)


async def test_scripts_touch_only_the_keys_they_declare_all_in_one_slot(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    """What Redis Cluster (and proxies that check declared keys) would demand, seen via MONITOR."""
    sentinel = f"{prefix}:done"
    async with redis.monitor() as monitor:
        lines = asyncio.create_task(monitored_until(monitor, sentinel))
        await asyncio.sleep(0.05)  # let MONITOR start before the first command
        await exercise_every_script(engine)
        await redis.echo(sentinel)
        commands = await lines

    declared: list[str] = []
    touched = 0
    for client, words in commands:
        if client != "lua":
            declared = words[3 : 3 + int(words[2])] if words[0].lower() == "evalsha" else []
            assert len({key_slot(key.encode()) for key in declared}) <= 1, declared
        elif words[0] == "PUBLISH":  # names a channel, not a key (the sold-out latch's)
            assert words[1] == f"{prefix}:available", words
        elif words[1].startswith(prefix):
            assert words[1] in declared, (words[:2], declared)
            touched += 1
    assert touched > 50


async def monitored_until(monitor: Any, sentinel: str) -> list[tuple[str, list[str]]]:
    commands = []
    while sentinel not in (entry := await monitor.next_command())["command"]:
        commands.append((entry["client_type"], entry["command"].split(" ")))
    return commands


async def test_each_transition_is_journaled_once_in_order(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    listing, pool = await new_pool(engine, capacity=5)
    sold = await engine.place_hold(hold_on(listing, pool, T0), None)
    await engine.confirm(sold.id, T0)
    await engine.confirm(sold.id, T0)  # harmless, not journaled
    await engine.cancel(sold.id)
    dropped = await engine.place_hold(hold_on(listing, pool, T0), None)
    await engine.release(dropped.id, T0)
    await engine.release(dropped.id, T0)
    swept = await engine.place_hold(hold_on(listing, pool, T0, ttl=5), None)
    await engine.expire_due(T0 + timedelta(seconds=5))
    lapsed = await engine.place_hold(hold_on(listing, pool, T0, ttl=5), None)
    await engine.place_hold(last := hold_on(listing, pool, T0 + timedelta(seconds=9)), None)

    assert await journal(redis, prefix, listing) == [
        ("placed", str(sold.id)),
        ("confirmed", str(sold.id)),
        ("cancelled", str(sold.id)),
        ("placed", str(dropped.id)),
        ("released", str(dropped.id)),
        ("placed", str(swept.id)),
        ("expired", str(swept.id)),
        ("placed", str(lapsed.id)),
        ("expired", str(lapsed.id)),  # by the next place_hold, before it reserved
        ("placed", str(last.id)),
    ]
    [(_, placed)] = await redis.xrange(f"{prefix}:{{{listing}}}:journal", count=1)
    assert placed["body"]
    assert placed["at"] == str(int(T0.timestamp() * 1000))


async def test_expiry_returns_stock_once_while_sweeps_race_release_and_confirm(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    """Sweeps, releases and confirms with clocks before and after the holds fall due, at once."""
    listing, pool = await new_pool(engine, capacity=300)
    holds = [await engine.place_hold(hold_on(listing, pool, T0, ttl=10), None) for _ in range(300)]
    before, after = T0 + timedelta(seconds=5), T0 + timedelta(seconds=10)
    rng = random.Random(7)
    calls = [rng.choice([engine.release, engine.confirm])(hold.id, rng.choice([before, after])) for hold in holds]
    calls += [engine.expire_due(after, limit=50) for _ in range(12)]
    rng.shuffle(calls)
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    outcomes.append(await engine.expire_due(after))  # racing sweeps may have read the same ids

    assert [o for o in outcomes if not isinstance(o, Hold | list | HoldExpiredError)] == []
    final = {hold.id: (await engine.get_hold(hold.id)) for hold in holds}
    statuses = Counter(hold.status for hold in final.values() if hold)
    assert statuses[HoldStatus.ACTIVE] == 0
    assert await counts(engine, pool) == (300, 0, statuses[HoldStatus.CONFIRMED])
    ended = Counter(event for event, _ in await journal(redis, prefix, listing) if event != "placed")
    assert ended == {status.value: n for status, n in statuses.items()}  # one transition per hold
    swept = [hold.id for o in outcomes if isinstance(o, list) for hold in o]
    assert len(swept) == len(set(swept))
    assert all(final[hold_id].status is HoldStatus.EXPIRED for hold_id in swept)  # type: ignore[union-attr]
    confirmed = {hold.customer_ref: "1" for hold in final.values() if hold and hold.status is HoldStatus.CONFIRMED}
    assert await redis.hgetall(f"{prefix}:{{{listing}}}:customers") == confirmed  # limits count bought units


async def test_place_hold_expires_due_holds_before_reserving(engine: RedisLuaInventoryEngine) -> None:
    listing, pool = await new_pool(engine, capacity=2)
    early = [await engine.place_hold(hold_on(listing, pool, T0, ttl=ttl), None) for ttl in (10, 30)]
    at = T0 + timedelta(seconds=15)

    fresh = await engine.place_hold(hold_on(listing, pool, at), None)
    with pytest.raises(InsufficientInventoryError):
        await engine.place_hold(hold_on(listing, pool, at), None)

    assert [(await engine.get_hold(hold.id)).status for hold in early] == ["expired", "active"]  # type: ignore[union-attr]
    assert fresh.status is HoldStatus.ACTIVE
    assert await counts(engine, pool) == (2, 2, 0)


async def test_a_hold_id_taken_on_another_listing_is_refused_and_leaks_nothing(
    engine: RedisLuaInventoryEngine,
) -> None:
    listing, pool = await new_pool(engine, capacity=1)
    other_listing, other_pool = await new_pool(engine, capacity=1)
    taken = await engine.place_hold(hold_on(listing, pool, T0), None)

    with pytest.raises(HoldMismatchError):
        await engine.place_hold(hold_on(other_listing, other_pool, T0, hold_id=taken.id), None)

    assert await engine.get_hold(taken.id) == taken
    assert await counts(engine, other_pool) == (1, 0, 0)
    assert (await engine.confirm(taken.id, T0)).status is HoldStatus.CONFIRMED


async def test_an_id_refused_on_one_listing_can_be_placed_on_another(engine: RedisLuaInventoryEngine) -> None:
    """The id index was written for the refused attempt; it must follow the hold that exists."""
    listing, pool = await new_pool(engine, capacity=0)
    other_listing, other_pool = await new_pool(engine, capacity=1)
    refused = hold_on(listing, pool, T0)
    with pytest.raises(InsufficientInventoryError):
        await engine.place_hold(refused, None)

    placed = await engine.place_hold(hold_on(other_listing, other_pool, T0, hold_id=refused.id), None)

    assert await engine.get_hold(refused.id) == placed
    assert (await engine.release(refused.id, T0)).status is HoldStatus.RELEASED
    assert await counts(engine, other_pool) == (1, 0, 0)


async def test_ended_records_are_kept_for_the_retention_and_confirmed_ones_for_good(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    listing, pool = await new_pool(engine, capacity=3)
    sold, dropped = [await engine.place_hold(hold_on(listing, pool, T0), None) for _ in range(2)]
    await engine.confirm(sold.id, T0)
    await engine.release(dropped.id, T0)

    def ttl(key: str) -> Any:
        return redis.pttl(f"{prefix}:{key}")

    assert await ttl(f"{{{listing}}}:hold:{sold.id}") == -1
    assert await ttl(f"hold-listing:{sold.id}") == -1
    assert 0 < await ttl(f"{{{listing}}}:hold:{dropped.id}") <= RETENTION.total_seconds() * 1000
    assert await ttl(f"hold-listing:{dropped.id}") >= await ttl(f"{{{listing}}}:hold:{dropped.id}")

    await engine.cancel(sold.id)
    assert 0 < await ttl(f"{{{listing}}}:hold:{sold.id}") <= RETENTION.total_seconds() * 1000
    assert await ttl(f"hold-listing:{sold.id}") > 0


async def test_a_listing_whose_counters_are_gone_is_unavailable_not_unknown(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    """Its holds and pools are known to the caller (the record has them): a script finding the
    listing's counters gone answers 'unavailable', changes nothing, and the sweep leaves it."""
    listing, pool = await new_pool(engine, capacity=5)
    active = await engine.place_hold(hold_on(listing, pool, T0, ttl=5), None)
    confirmed = await engine.place_hold(hold_on(listing, pool, T0), None)
    await engine.confirm(confirmed.id, T0)
    await redis.delete(f"{prefix}:{{{listing}}}:pools")
    later = T0 + timedelta(seconds=1)

    for call in (
        engine.place_hold(hold_on(listing, pool, later), None),
        engine.confirm(active.id, later),
        engine.release(active.id, later),
        engine.cancel(confirmed.id),
        engine.resize(pool, 9),
    ):
        with pytest.raises(InventoryUnavailableError):
            await call
    assert await engine.expire_due(T0 + timedelta(seconds=10)) == []
    assert not await redis.exists(f"{prefix}:{{{listing}}}:pools")  # nothing counted into a new hash
    assert (await engine.get_hold(active.id)) == active


async def test_an_engine_without_any_state_says_so_on_lookups_by_id(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    """An emptied Redis cannot tell a lost hold from one that never was: it says it has no state."""
    assert not await engine.has_state()
    listing, pool = await new_pool(engine, capacity=5)
    assert await engine.has_state()
    placed = await engine.place_hold(hold_on(listing, pool, T0), None)
    assert await engine.get_hold(uuid4()) is None

    await redis.delete(*[key async for key in redis.scan_iter(match=f"{prefix}:*")])

    assert not await engine.has_state()
    for call in (engine.get_hold(placed.id), engine.release(placed.id, T0), engine.resize(pool, 3)):
        with pytest.raises(InventoryUnavailableError):
            await call
    assert await engine.counters([pool]) == []


async def test_rebuild_lost_rebuilds_only_a_listing_whose_counters_are_gone(
    engine: RedisLuaInventoryEngine, redis: Redis, prefix: str
) -> None:
    listing, pool = await new_pool(engine, capacity=5)
    journaled = await engine.place_hold(hold_on(listing, pool, T0, ttl=60), None)
    await redis.delete(*[key async for key in redis.scan_iter(match=f"{prefix}:{{{listing}}}:*")])
    record = [PoolCounters(pool, listing, 5, held=1)]

    assert await engine.rebuild_lost(listing, record, [journaled], T0)
    assert await counts(engine, pool) == (5, 1, 0)
    assert await engine.get_hold(journaled.id) == journaled
    # Rebuilt by another process, then a hold placed: a late rebuild from the same record keeps it.
    placed = await engine.place_hold(hold_on(listing, pool, T0), None)
    assert not await engine.rebuild_lost(listing, record, [journaled], T0)
    assert await counts(engine, pool) == (5, 2, 0)
    assert (await engine.get_hold(placed.id)) == placed
