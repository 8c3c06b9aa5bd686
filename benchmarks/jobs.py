"""Background jobs through SAQ on a real Redis, against a no-op job measured in the same run.

Three figures, each with the command's own baseline:

* no-op jobs per second: SAQ's own cost per job (enqueue, dequeue, finish) on this machine;
* the expiry sweep: due holds (Redis engine) expired per second by ``expire_holds`` jobs, and
  those jobs per second; the ratio to the no-op rate says what the sweep adds;
* the outbox relay: events published per second by ``relay_outbox`` jobs (when the catalogue
  has the job);
* the lag from a hold's expiry to its units being sellable again, while other listings take
  a steady load of new holds and the sweep runs on its cron schedule (``--sweep-every``).

    .venv/bin/python -m benchmarks.jobs --holds 5000 --events 3000

Postgres and Redis are throwaway servers started on loopback, as the tests do. The worker is a
real SAQ worker (the one ``holdfast worker`` runs) inside this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from redis.asyncio import Redis
from sqlalchemy import text

from application.ports.jobs import JobContext, JobPolicy
from domain.events import BookingConfirmed
from domain.inventory import Hold, HoldLine, PoolCounters
from infrastructure import migrations
from infrastructure.container import Container, build_container, close_container
from infrastructure.jobs.saq_queue import SaqJobQueue
from infrastructure.logging import configure_logging
from infrastructure.settings import Settings
from interfaces.workers.jobs import job_handlers
from tests import servers


async def _until(check: Callable[[], Awaitable[bool]], every: float = 0.005) -> float:
    while not await check():  # noqa: ASYNC110 (polling what another process changes)
        await asyncio.sleep(every)
    return time.perf_counter()


@contextlib.asynccontextmanager
async def running(queue: SaqJobQueue, handlers: Mapping[str, Any], concurrency: int) -> AsyncIterator[None]:
    worker = queue.worker(handlers, concurrency=concurrency)
    task = asyncio.create_task(worker.start())
    try:
        yield
    finally:
        await worker.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def noop_rate(redis_url: str, container: Container, count: int, concurrency: int) -> float:
    """No-op jobs per second through a queue of their own on the same Redis."""
    done = 0

    async def noop(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        nonlocal done
        done += 1

    queue = SaqJobQueue(
        redis_url,
        {"noop": JobPolicy()},
        container.gateways.dead_letters(),
        container.gateways.metrics(),
        lambda: datetime.now(UTC),
        rounds=container.gateways.failed_rounds(),
        name="bench-noop",
    )
    for _ in range(count):
        await queue.enqueue("noop")
    started = time.perf_counter()
    async with running(queue, {"noop": noop}, concurrency):

        async def all_done() -> bool:
            return done >= count

        finished = await _until(all_done)
    await queue.aclose()
    return count / (finished - started)


async def _pools(container: Container, listings: int, capacity: int) -> list[tuple[UUID, UUID]]:
    engine = container.gateways.inventory()
    pairs = []
    for _ in range(listings):
        listing_id, pool_id = uuid4(), uuid4()
        await engine.add_pool(PoolCounters(pool_id, listing_id, capacity=capacity))
        pairs.append((listing_id, pool_id))
    return pairs


async def _place(container: Container, listing_id: UUID, pool_id: UUID, expires_at: datetime) -> Hold:
    hold = Hold(
        id=uuid4(),
        tenant_id=UUID(int=1),
        listing_id=listing_id,
        customer_ref=f"c-{uuid4().hex[:8]}",
        lines=(HoldLine(pool_id, 1, 1000),),
        currency="EUR",
        created_at=expires_at - timedelta(minutes=10),
        expires_at=expires_at,
    )
    placed: Hold = await container.gateways.inventory().place_hold(hold, None)
    return placed


async def sweep_rate(container: Container, holds: int, concurrency: int) -> tuple[float, float]:
    """(holds expired per second, expire_holds jobs per second), all holds due at the start."""
    queue: SaqJobQueue = container.gateways.jobs()
    pairs = await _pools(container, 50, holds)
    due = datetime.now(UTC) - timedelta(seconds=1)
    await asyncio.gather(*(_place(container, *pairs[n % len(pairs)], due) for n in range(holds)))
    jobs = 0
    handlers = job_handlers(container)

    async def counting(ctx: JobContext, args: Mapping[str, Any]) -> None:
        nonlocal jobs
        jobs += 1
        await handlers["expire_holds"](ctx, args)

    engine = container.gateways.inventory()

    async def all_expired() -> bool:
        counters = await engine.counters([pool for _, pool in pairs])
        return sum(c.held for c in counters) == 0

    started = time.perf_counter()
    async with running(queue, {**handlers, "expire_holds": counting}, concurrency), feeding(queue, "expire_holds"):
        finished = await _until(all_expired)
    seconds = finished - started
    return holds / seconds, jobs / seconds


@contextlib.asynccontextmanager
async def feeding(queue: SaqJobQueue, name: str) -> AsyncIterator[None]:
    """Keep rounds of ``name`` waiting while the block runs, as a busy schedule would (four keys,
    so four rounds at most at once). Stopped by a flag, not a cancellation: a cancellation that
    lands inside a Redis call can be lost, and the feeding would go on into the next measure."""
    done = asyncio.Event()
    task = asyncio.create_task(_keep_enqueuing(queue, name, done))
    try:
        yield
    finally:
        done.set()
        await task


async def _keep_enqueuing(queue: SaqJobQueue, name: str, done: asyncio.Event) -> None:
    n = 0
    while not done.is_set():
        await queue.enqueue(name, key=f"bench:{name}:{n % 4}")
        n += 1
        await asyncio.sleep(0.001)


async def relay_rate(container: Container, events: int, concurrency: int) -> tuple[float, float] | None:
    """(events published per second, relay_outbox jobs per second), or None without the job."""
    handlers = job_handlers(container)
    if "relay_outbox" not in handlers:
        return None
    uow_factory = container.gateways.uow
    tenant = UUID(int=1)
    per_booking = 3
    for start in range(0, events, 300):
        batch = []
        for _ in range(start, min(events, start + 300), per_booking):
            booking = uuid4()  # a few events per aggregate, so the relay's per-aggregate order is exercised
            batch += [BookingConfirmed(booking, tenant, uuid4(), datetime.now(UTC)) for _ in range(per_booking)]
        async with uow_factory() as uow:
            await uow.outbox.add(batch)
            await uow.commit()
    queue: SaqJobQueue = container.gateways.jobs()
    jobs = 0

    async def counting(ctx: JobContext, args: Mapping[str, Any]) -> None:
        nonlocal jobs
        jobs += 1
        await handlers["relay_outbox"](ctx, args)

    database = container.gateways.database()

    async def all_published() -> bool:
        async with database.reading() as session:
            left = (await session.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar()
        return left == 0

    started = time.perf_counter()
    async with running(queue, {**handlers, "relay_outbox": counting}, concurrency), feeding(queue, "relay_outbox"):
        finished = await _until(all_published, every=0.02)
    seconds = finished - started
    published = -(-events // per_booking) * per_booking  # every row written above
    return published / seconds, jobs / seconds


async def expiry_lag(container: Container, rounds: int, load: int, sweep_every: float) -> list[float]:
    """Seconds from holds' expiry to their units being available, per round, under load."""
    queue: SaqJobQueue = container.gateways.jobs()
    engine = container.gateways.inventory()
    watched = await _pools(container, rounds, 10)
    busy = await _pools(container, 20, 1_000_000)
    stop = asyncio.Event()

    async def load_holds() -> None:
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            expires = datetime.now(UTC) + timedelta(seconds=2)
            await asyncio.gather(*(_place(container, *busy[(n + k) % len(busy)], expires) for k in range(load // 10)))
            n += 1
            await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))

    lags = []
    phase = random.Random(7)
    handlers = job_handlers(container)
    sweeps = 0

    async def counting(ctx: JobContext, args: Mapping[str, Any]) -> None:
        nonlocal sweeps
        sweeps += 1
        await handlers["expire_holds"](ctx, args)

    started = time.perf_counter()
    async with running(queue, {**handlers, "expire_holds": counting}, 8):
        loader = asyncio.create_task(load_holds())
        for listing_id, pool_id in watched:
            ttl = 1.0 + phase.uniform(0, sweep_every)  # at any point of the sweep's period
            expires = datetime.now(UTC) + timedelta(seconds=ttl)
            await asyncio.gather(*(_place(container, listing_id, pool_id, expires) for _ in range(10)))

            async def available(pool: UUID = pool_id) -> bool:
                [counters] = await engine.counters([pool])
                return counters.held == 0

            await _until(available)
            lags.append((datetime.now(UTC) - expires).total_seconds())
        stop.set()
        await loader
    print(f"expiry-lag phase: {sweeps} expire_holds rounds in {time.perf_counter() - started:.1f} s")
    return lags


async def run(args: argparse.Namespace) -> None:
    with servers.postgres_server() as pg_url, servers.redis_server() as redis_url:
        await asyncio.to_thread(migrations.upgrade, pg_url)
        settings = Settings(
            database_url=pg_url,
            redis_url=redis_url,
            inventory_engine="redis",
            jobs="saq",
            environment="production",
            log_level="WARNING",
            expiry_sweep_seconds=args.sweep_every,
            webhook_retry_seconds=0,
        )
        configure_logging(settings)
        container = build_container(settings)
        try:
            noop = await noop_rate(redis_url, container, args.jobs, args.concurrency)
            holds_s, sweep_jobs_s = await sweep_rate(container, args.holds, args.concurrency)
            relay = await relay_rate(container, args.events, args.concurrency)
            await Redis.from_url(redis_url).flushdb()
            lags = await expiry_lag(container, args.rounds, args.load, args.sweep_every)
        finally:
            await close_container(container)
    print(f"jobs={args.jobs} holds={args.holds} events={args.events} concurrency={args.concurrency}")
    print("| measure | per second | no-op jobs/s (same run) | ratio to no-op |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| no-op job | {noop:,.0f} | {noop:,.0f} | 1.00 |")
    print(f"| expire_holds jobs | {sweep_jobs_s:,.1f} | {noop:,.0f} | {noop / sweep_jobs_s:.1f} |")
    print(f"| holds expired | {holds_s:,.0f} | {noop:,.0f} | {holds_s / noop:.2f} |")
    if relay is not None:
        events_s, relay_jobs_s = relay
        print(f"| relay_outbox jobs | {relay_jobs_s:,.1f} | {noop:,.0f} | {noop / relay_jobs_s:.1f} |")
        print(f"| events published | {events_s:,.0f} | {noop:,.0f} | {events_s / noop:.2f} |")
    quantiles = statistics.quantiles(lags, n=20, method="inclusive")
    print(
        f"expiry -> available lag over {len(lags)} rounds (sweep every {args.sweep_every:g} s, "
        f"~{args.load} holds/s of load): median {statistics.median(lags):.2f} s, p95 {quantiles[-1]:.2f} s, "
        f"max {max(lags):.2f} s; lag / sweep period = {statistics.median(lags) / args.sweep_every:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2000, help="no-op jobs for the baseline")
    parser.add_argument("--holds", type=int, default=5000, help="due holds the sweep expires")
    parser.add_argument("--events", type=int, default=3000, help="outbox events the relay publishes")
    parser.add_argument("--concurrency", type=int, default=8, help="SAQ worker concurrency")
    parser.add_argument("--rounds", type=int, default=20, help="expiry-lag rounds")
    parser.add_argument("--load", type=int, default=200, help="holds per second placed meanwhile")
    parser.add_argument("--sweep-every", type=float, default=1.0, help="the expire_holds cron period, seconds")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
