"""Holds per second for each inventory engine, in one process, against real servers.

Each engine is measured beside a baseline taken in the same run on the same server, so the
ratio survives a noisy shared machine:

* memory: an ``await`` of a no-op coroutine (the cost of the event loop alone);
* sql on SQLite / Postgres: an empty transaction with ``SELECT 1`` through the same ``Database``;
* redis: a ``PING`` through the same client.

The ratio ``baseline ops/s / holds/s`` reads as "one hold costs N baseline round trips".

    .venv/bin/python -m benchmarks.engines --holds 3000 --concurrency 32

Postgres and Redis are throwaway servers started on loopback, as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from redis.asyncio import Redis
from sqlalchemy import text

from application.ports.inventory import InventoryEngine
from domain.inventory import Hold, HoldLine, PoolCounters
from infrastructure import migrations
from infrastructure.inventory.memory import MemoryInventoryEngine
from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.persistence.database import Database
from tests import servers

NOW = datetime(2030, 1, 1, tzinfo=UTC)
Op = Callable[[int], Awaitable[object]]


async def rate(op: Op, count: int, concurrency: int) -> float:
    """Operations per second, ``concurrency`` of them in flight at once."""
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            await op(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


def hold_op(engine: InventoryEngine, listing_id: object, pools: list[object]) -> Op:
    async def place(n: int) -> object:
        hold = Hold(
            id=uuid4(),
            tenant_id=uuid4(),
            listing_id=listing_id,  # type: ignore[arg-type]
            customer_ref=f"customer-{n}",
            lines=(HoldLine(pools[n % len(pools)], 1, 1000),),  # type: ignore[arg-type]
            currency="EUR",
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=10),
        )
        return await engine.place_hold(hold, customer_limit=4)

    return place


async def measure(engine: InventoryEngine, baseline: Op, args: argparse.Namespace) -> tuple[float, float]:
    listing_id = uuid4()
    pools = [uuid4() for _ in range(args.pools)]
    for pool in pools:
        await engine.add_pool(PoolCounters(pool, listing_id, capacity=args.holds * 2))
    await rate(baseline, min(200, args.holds), args.concurrency)  # warm-up: connections, scripts
    base = await rate(baseline, args.holds, args.concurrency)
    holds = await rate(hold_op(engine, listing_id, pools), args.holds, args.concurrency)
    return holds, base


async def _noop(_: int) -> None:
    return None


@contextlib.asynccontextmanager
async def sql_engine(url: str, pool_size: int) -> AsyncIterator[tuple[InventoryEngine, Op]]:
    await asyncio.to_thread(migrations.upgrade, url)
    database = Database(url, pool_size=pool_size)

    async def select_one(_: int) -> None:
        async with database.transaction() as session:
            await session.execute(text("SELECT 1"))

    engine = SqlInventoryEngine(database)
    try:
        yield engine, select_one
    finally:
        await engine.aclose()
        await database.dispose()


@contextlib.asynccontextmanager
async def redis_engine(url: str) -> AsyncIterator[tuple[InventoryEngine, Op]]:
    client = Redis.from_url(url, max_connections=256)

    async def ping(_: int) -> None:
        await client.ping()

    try:
        yield RedisLuaInventoryEngine(client), ping
    finally:
        await client.aclose()


async def run(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    results = [("memory", *await measure(MemoryInventoryEngine(), _noop, args))]
    with tempfile.TemporaryDirectory() as folder:
        async with sql_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", 1) as (engine, base):
            results.append(("sql (SQLite)", *await measure(engine, base, args)))
    with servers.postgres_server() as url:
        async with sql_engine(url, args.concurrency) as (engine, base):
            results.append(("sql (Postgres)", *await measure(engine, base, args)))
    with servers.redis_server() as url:
        async with redis_engine(url) as (engine, base):
            results.append(("redis (Lua)", *await measure(engine, base, args)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holds", type=int, default=3000, help="holds placed per engine")
    parser.add_argument("--concurrency", type=int, default=32, help="holds in flight at once")
    parser.add_argument("--pools", type=int, default=4, help="pools of the listing the holds spread over")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"holds={args.holds} concurrency={args.concurrency} pools={args.pools}")
    print("| engine | holds/s | baseline ops/s | baseline ops per hold |")
    print("| --- | ---: | ---: | ---: |")
    for name, holds, base in results:
        print(f"| {name} | {holds:,.0f} | {base:,.0f} | {base / holds:.2f} |")


if __name__ == "__main__":
    main()
