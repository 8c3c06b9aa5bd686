"""CPU time per request, in one process, no server and no socket: what our code costs.

The HTTP benchmark's throughput moves with everything else the box runs; the CPU time this
process spends per request moves much less. The app (production profile: Postgres, the redis
engine) is driven straight through its ASGI interface by ``--concurrency`` coroutines; each
figure is ``process_time`` over the requests answered, against the same figure for the raw
ASGI no-op (``noop_app``) driven the same way in the same run. Redis' and Postgres' own CPU is
not counted (they are other processes); the client side of every round trip is.

    .venv/bin/python -m benchmarks.http.cpu --requests 20000 --concurrency 64

A profile of one target: ``--profile holds-hot`` (or ``bookings-hot``: one fresh free hold a
booking; ``ratelimited-hot``: a 429 from an empty rate-limit bucket; py-spy must be on PATH or
in the venv).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import uvloop

from benchmarks.http import noop_app
from tests import servers

Target = Callable[[int], tuple[dict[str, Any], bytes]]
UNTRIPPED = "1000000/s burst 1000000"


async def _drive(app: Any, make: Target, requests: int, concurrency: int) -> tuple[float, dict[int, int]]:
    statuses: dict[int, int] = {}
    counter = iter(range(requests))

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    async def worker() -> None:
        for i in counter:
            scope, body = make(i)
            await app(scope, _receiver(body), send)

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) / requests * 1e6, statuses


def _receiver(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The body in one message, then nothing more (as a client that waits for its answer)."""
    pending = [body]

    async def receive() -> dict[str, Any]:
        if not pending:
            await asyncio.Event().wait()
        return {"type": "http.request", "body": pending.pop(), "more_body": False}

    return receive


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def _setup(database_url: str, redis_url: str) -> tuple[Any, Any, Any, str, str, dict[str, str]]:
    from application.use_cases.create_listing import CreateListing
    from application.use_cases.create_pool import CreatePool
    from application.use_cases.register_tenant import RegisterTenant
    from domain.listings import ListingKind
    from infrastructure.container import build_container
    from infrastructure.settings import Settings
    from interfaces.http.app import create_app

    os.environ.setdefault("HOLDFAST_LOG_LEVEL", "INFO")
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        inventory_engine="redis",
        environment="production",
        jobs="saq",
        payments="fake",
        expiry_sweep_seconds=0,
        # (set to 0 to measure without the sold-out latch)
        sold_out_latch_ms=int(os.environ.get("HOLDFAST_SOLD_OUT_LATCH_MS", "250")),
        # checked on every request, as deployed, in buckets no run here empties (HOLDFAST_RATE_LIMITS=false: off)
        rate_limits=os.environ.get("HOLDFAST_RATE_LIMITS", "true") != "false",
        rate_limit_holds=UNTRIPPED,
        rate_limit_reads=UNTRIPPED,
        rate_limit_writes=UNTRIPPED,
    )
    container = build_container(settings)
    await container.gateways.inventory().sold_out.ready()  # what `serve`'s lifespan starts
    tenant = await container.use_cases.register_tenant()(RegisterTenant(f"cpu-{uuid4().hex[:8]}"))
    listing = await container.use_cases.create_listing()(
        CreateListing(tenant_id=tenant.tenant.id, kind=ListingKind.EVENT_SHOW, name="cpu bench")
    )
    pools = {}
    for code, capacity, price in (("big", 1_000_000, 100), ("gone", 0, 100), ("free", 1_000_000, 0)):
        pool = await container.use_cases.create_pool()(
            CreatePool(tenant.tenant.id, listing.id, code, capacity, price, "EUR")
        )
        pools[code] = str(pool.pool.id)
    hot = create_app(settings, container)
    routed = create_app(settings, container, hot_path=False)
    return container, hot, routed, tenant.api_key, str(listing.id), pools


async def _rate_limited(container: Any) -> tuple[Any, Any]:
    """Apps (hot path, route) of a container on the same servers whose holds bucket (one hold an
    hour) the first request below empties."""
    from dataclasses import replace

    from infrastructure.container import build_container
    from interfaces.http.app import create_app

    settings = replace(container.settings(), rate_limit_holds="1/h burst 1")
    limited = build_container(settings)
    return create_app(settings, limited), create_app(settings, limited, hot_path=False)


class _FreeHolds:
    """Holds on the free pool, placed before a bookings run (not measured): one a booking."""

    def __init__(self, container: Any, key: str, listing: str, pool: str) -> None:
        self._container, self._key, self._listing, self._pool = container, key, listing, pool
        self.ids: list[str] = []

    async def place(self, count: int) -> None:
        from application.use_cases.place_hold import PlaceHold

        tenant = (await self._container.use_cases.authenticate()(self._key)).tenant  # (an Actor's, since 87d7430)
        place = self._container.use_cases.place_hold()
        listing, pool = UUID(self._listing), UUID(self._pool)

        async def one(n: int) -> str:
            hold = await place(PlaceHold(tenant.id, listing, f"b-{uuid4().hex}", ((pool, 1),)))
            return str(hold.id)

        for start in range(0, count, 500):
            self.ids += await asyncio.gather(*(one(n) for n in range(start, min(count, start + 500))))

    def target(self, headers: list[tuple[bytes, bytes]]) -> Target:
        def make(i: int) -> tuple[dict[str, Any], bytes]:
            return _scope("POST", "/v1/bookings", headers), json.dumps({"hold_id": self.ids.pop()}).encode()

        return make


def _targets(key: str, listing: str, pools: dict[str, str]) -> dict[str, Target]:
    headers = [(b"x-api-key", key.encode()), (b"content-type", b"application/json")]

    def hold(pool: str) -> Target:
        def make(i: int) -> tuple[dict[str, Any], bytes]:
            body = {"listing_id": listing, "customer_ref": f"c-{i}", "lines": [{"pool_id": pool, "quantity": 1}]}
            return _scope("POST", "/v1/holds", headers), json.dumps(body).encode()

        return make

    def get(path: str) -> Target:
        return lambda i: (_scope("GET", path, []), b"")

    def noop(i: int) -> tuple[dict[str, Any], bytes]:
        body = {"listing_id": listing, "customer_ref": f"c-{i}", "lines": [{"pool_id": pools["big"], "quantity": 1}]}
        return _scope("POST", "/noop", headers), json.dumps(body).encode()

    return {"noop": noop, "health": get("/health/live"), "holds": hold(pools["big"]), "soldout": hold(pools["gone"])}


async def _main(args: argparse.Namespace, database_url: str, redis_url: str) -> None:
    container, hot, routed, key, listing, pools = await _setup(database_url, redis_url)
    make = _targets(key, listing, pools)
    free = _FreeHolds(container, key, listing, pools["free"])
    booking = free.target([(b"x-api-key", key.encode()), (b"content-type", b"application/json")])
    runs: dict[str, tuple[Any, Target]] = {
        "noop": (noop_app.app, make["noop"]),
        "health": (hot, make["health"]),
        "holds-hot": (hot, make["holds"]),
        "holds-routed": (routed, make["holds"]),
        "soldout-hot": (hot, make["soldout"]),
        "soldout-routed": (routed, make["soldout"]),
        "bookings-hot": (hot, booking),  # POST /v1/bookings of a fresh free hold (issue 9, item 7)
    }
    if any(name.startswith("ratelimited") for name in args.only or ["ratelimited"]):
        limited_hot, limited_routed = await _rate_limited(container)
        runs["ratelimited-hot"] = (limited_hot, make["holds"])  # 429: the bucket is empty (issue 11)
        runs["ratelimited-routed"] = (limited_routed, make["holds"])
    wanted = args.only or list(runs)
    for name in wanted:  # warm every path once (catalogue, scripts, connections)
        if runs[name][1] is booking:
            await free.place(200)
        await _drive(runs[name][0], runs[name][1], 200, 8)
    profiler = None
    results: dict[str, float] = {}
    for _ in range(args.rounds):
        for name in wanted:
            app, target = runs[name]
            if target is booking:  # one fresh hold a booking, placed outside the measurement
                await free.place(args.requests)
            if args.profile == name:
                profiler = _py_spy(args)
            micros, statuses = await _drive(app, target, args.requests, args.concurrency)
            if profiler is not None:
                profiler.wait()
                profiler = None
            results[name] = min(results.get(name, float("inf")), micros)
            print(f"{name:15} {micros:8.1f} us/request  {statuses}", file=sys.stderr, flush=True)
    base = results.get("noop")
    print("\nbest of rounds, CPU per request (this process), ratio = noop / target:", file=sys.stderr)
    for name in wanted:
        ratio = f"{base / results[name]:.3f}x" if base else "-"
        print(f"| {name} | {results[name]:.1f} us | {ratio} |", file=sys.stderr)


def _py_spy(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    spy = str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "--pid", str(os.getpid()), "--rate", "500", "--duration", str(args.profile_seconds)]
    command += ["--format", "raw", "--output", args.profile_out, "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--profile", help="a target to record with py-spy (raw format)")
    parser.add_argument("--profile-seconds", type=int, default=4)
    parser.add_argument("--profile-out", default="/tmp/holdfast-cpu-profile.txt")
    args = parser.parse_args()
    with servers.postgres_server() as database_url, servers.redis_server() as redis_url:
        holdfast = str(Path(sys.executable).with_name("holdfast"))
        env = {**os.environ, "HOLDFAST_DATABASE_URL": database_url}
        subprocess.run([holdfast, "migrate"], env=env, check=True, capture_output=True)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # the loop `holdfast serve` runs
            runner.run(_main(args, database_url, redis_url))


if __name__ == "__main__":
    main()
