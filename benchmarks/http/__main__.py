"""``python -m benchmarks.http``: see the package docstring, and ``--help``."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from benchmarks.http import hot_pool, queue, stack
from benchmarks.http import load as loads
from benchmarks.http.load import Load
from benchmarks.http.stats import HEADER, Result, as_json, plot

TARGETS = (
    "noop",
    "health",
    "holds-redis",
    "soldout",
    "ratelimited",
    "bookings",
    "fill",
    "queue-join",
    "queue-status",
    "holds-sql-pg",
    "pgbench",
    "pgbench-hold",
    "engine-sql-pg",
    "noop-1",
    "holds-sqlite",
    "health-sqlite",
    "quotes",
    "quotes-sqlite",
)
HOLD_BODY = '{"listing_id": "%s", "customer_ref": "{ref}", "lines": [{"pool_id": "%s", "quantity": 1}]}'
FILL_LEVELS = (1, 100_000, 1_000_000)


@dataclass
class Run:
    args: argparse.Namespace
    logs: Path
    results: list[Result] = field(default_factory=list)
    sweep: dict[str, list[Result]] = field(default_factory=dict)
    ceiling: dict[tuple[str, int], float] = field(default_factory=dict)  # (loop, processes) -> rps
    extra: dict[str, object] = field(default_factory=dict)
    reconciled: dict[str, list[str]] = field(default_factory=dict)  # engine -> listings loaded through the API

    def wanted(self, target: str) -> bool:
        return target in self.args.only

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def measure(
        self, target: str, load: Load, ports: list[int], *, sweep: bool = False, rate: float | None = None
    ) -> tuple[Result, Result]:
        """Closed loop at the main concurrency (and the sweep), then open loop at a fraction of it."""
        args = self.args
        levels = sorted(set(args.sweep) | {args.connections}) if sweep and args.sweep else [args.connections]
        main: Result | None = None
        if "closed" not in args.loops:
            levels = []
            offered = rate or args.open_max
            self.say(f"{target}: open loop at {offered:,.0f}/s")
            opened = loads.open_loop(target, load, ports, offered, args.duration)
            self.results.append(opened)
            return opened, opened
        for per_port in levels:
            self.say(f"{target}: closed loop, {per_port} connections a port x {len(ports)}")
            result = loads.closed(target, load, ports, per_port, args.duration)
            if sweep:
                self.sweep.setdefault(target, []).append(result)
            if per_port == args.connections:
                main = result
                self.results.append(result)
        assert main is not None
        if "open" not in args.loops:
            return main, main
        offered = rate or max(1.0, round(main.rps * args.open_fraction))
        capped = offered > args.open_max
        offered = min(offered, args.open_max)
        self.say(f"{target}: open loop at {offered:,.0f}/s")
        opened = loads.open_loop(target, load, ports, offered, args.duration)
        if capped:
            opened.note = f"rate capped at --open-max; {opened.note}".rstrip("; ")
        self.results.append(opened)
        return main, opened

    def ceiling_of(self, results: tuple[Result, Result], processes: int) -> None:
        for result in results:
            self.ceiling[(result.mode, processes)] = result.rps


def _post(client: httpx.Client, path: str, body: dict[str, object]) -> dict[str, object]:
    answer = client.post(path, json=body)
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text}")
    data: dict[str, object] = answer.json()
    return data


def listing(fleet: stack.Fleet, capacity: int, unit_price: int = 1000, pools: int = 1) -> tuple[str, list[str]]:
    """A listing with ``pools`` pools, made through the API as a tenant would."""
    with httpx.Client(base_url=f"http://127.0.0.1:{fleet.ports[0]}", headers={"X-API-Key": fleet.key}) as client:
        made = _post(client, "/v1/listings", {"kind": "event_show", "name": f"Rush {uuid4().hex[:6]}"})
        ids = []
        for n in range(pools):
            body = {"code": f"P{n}", "capacity": capacity, "unit_price": unit_price, "currency": "EUR"}
            pool = _post(client, f"/v1/listings/{made['id']}/pools", body)
            ids.append(str(pool["id"]))  # type: ignore[index]
    return str(made["id"]), ids


# A plan with a line of each kind, so a quote runs every rule (see domain/pricing.py).
PRICE_PLAN = {
    "currency": "EUR",
    "seasons": [{"name": "high", "starts_on": "2020-01-01", "ends_on": "2099-12-31", "unit_price": 1200}],
    "weekday_rates": [{"name": "weekend", "weekdays": ["fri", "sat"], "adjust_bp": 2000}],
    "stay_discounts": [{"min_nights": 7, "percent_bp": 1000}],
    "fees": [{"name": "service", "kind": "percent", "value": 500}],
    "taxes": [{"name": "VAT", "kind": "percent", "value": 2100, "inclusive": True}],
}


def quote_load(fleet: stack.Fleet) -> Load:
    """``POST /v1/quotes`` of one unit of a priced listing: a price computed and a quote stored."""
    listing_id, [pool_id] = listing(fleet, 1_000_000)
    with httpx.Client(base_url=f"http://127.0.0.1:{fleet.ports[0]}", headers={"X-API-Key": fleet.key}) as client:
        answer = client.put(f"/v1/listings/{listing_id}/pricing", json=PRICE_PLAN)
        if answer.status_code != 200:
            raise RuntimeError(f"PUT pricing: {answer.status_code} {answer.text}")
    return Load("POST", "/v1/quotes", HOLD_BODY % (listing_id, pool_id), fleet.key)


async def _place_holds(fleet: stack.Fleet, listing_id: str, pool_id: str, count: int) -> list[str]:
    """``count`` holds through the API, 64 in flight, spread over the ports."""
    made: list[str] = []
    todo = iter(range(count))
    headers = {"X-API-Key": fleet.key}

    async def worker(port: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
            for n in todo:
                body = json.loads(HOLD_BODY % (listing_id, pool_id))
                body["customer_ref"] = f"prefill-{n}"
                answer = await client.post("/v1/holds", json=body)
                if answer.status_code == 201:
                    made.append(answer.json()["id"])

    await asyncio.gather(*(worker(fleet.ports[i % len(fleet.ports)]) for i in range(64)))
    return made


def booking_load(run: Run, fleet: stack.Fleet, listing_id: str, pool_id: str, closed: Result) -> Load:
    """Fresh holds for the profile's two recordings at the closed-loop rate just measured (and a
    margin), so the profile sees new bookings, not replays of booked holds."""
    per_second = closed.statuses.get("201", 0) / max(closed.duration_s, 1e-3)
    seconds = 2 * (max(3, int(run.args.duration)) + 1) + 1
    path = holds_file(run, fleet, listing_id, pool_id, math.ceil(per_second * seconds * 1.5) + 100)
    return Load("POST", "/v1/bookings", '{"hold_id": "{hold}"}', fleet.key, path)


def holds_file(run: Run, fleet: stack.Fleet, listing_id: str, pool_id: str, count: int) -> str:
    run.say(f"placing {count:,} holds through the API for the bookings")
    ids = asyncio.run(_place_holds(fleet, listing_id, pool_id, count))
    path = run.logs / f"holds-{uuid4().hex[:6]}.txt"
    path.write_text("\n".join(ids) + "\n")
    return str(path)


# --- active holds in Redis -------------------------------------------------------------------


async def _fill(env: dict[str, str], tenant_id: str, listing_id: str, pool_id: str, count: int) -> float:
    """Place ``count`` active holds with the engine's own script, codec and keys, pipelined.

    This is ``RedisLuaInventoryEngine._place`` (the round trip ``place_hold`` makes: the id's
    index entry, then the ``place_hold`` script) for thousands of holds per round trip, so a
    million holds take seconds, not the minutes one call per hold would.
    """
    from domain.inventory import Hold, HoldLine
    from infrastructure.container import build_container, close_container
    from infrastructure.inventory.redis_codec import to_ms
    from infrastructure.inventory.redis_lua import RedisLuaInventoryEngine, _place_args
    from infrastructure.settings import Settings

    container = build_container(Settings.from_env(env))
    engine = container.gateways.inventory()
    assert isinstance(engine, RedisLuaInventoryEngine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    placed = 0

    async def batch(first: int, size: int) -> None:
        nonlocal placed
        holds = [
            Hold(
                id=uuid4(),
                tenant_id=UUID(tenant_id),
                listing_id=UUID(listing_id),
                customer_ref=f"fill-{first + n}",
                lines=(HoldLine(UUID(pool_id), 1, 1000),),
                currency="EUR",
                created_at=now,
                expires_at=now + timedelta(hours=2),
            )
            for n in range(size)
        ]

        def build(pipe: object) -> None:
            for hold in holds:
                keys = engine._keys.listing(hold.listing_id)
                index = engine._keys.hold_listing(hold.id)
                pipe.set(index, str(hold.listing_id), nx=True, get=True, px=engine._index_ttl(hold))  # type: ignore[attr-defined]
                args = _place_args(hold, None, [])
                engine._script(pipe, "place_hold", keys, [keys.hold(hold.id)], args, to_ms(hold.created_at))  # type: ignore[arg-type]

        replies = await engine._run(build)
        kinds = Counter(reply[0] for reply in replies[1::2])
        if kinds["hold"] != size:
            raise RuntimeError(f"fill: expected {size} holds placed, got {dict(kinds)}")
        placed += size

    try:
        step, flight = 2000, 4
        starts = list(range(0, count, step))
        for i in range(0, len(starts), flight):
            await asyncio.gather(*(batch(s, min(step, count - s)) for s in starts[i : i + flight]))
    finally:
        await close_container(container)
    return time.perf_counter() - started


async def _active(env: dict[str, str]) -> int:
    from infrastructure.container import build_container, close_container
    from infrastructure.settings import Settings

    container = build_container(Settings.from_env(env))
    try:
        return sum(c.held for c in await container.gateways.inventory().snapshot())
    finally:
        await close_container(container)


def fill_series(run: Run, fleet: stack.Fleet, rate: float, level: int, filled: int, ids: tuple[str, ...]) -> int:
    """Bring the fill pool to ``level`` holds, then measure POST /v1/holds on the other pool."""
    listing_id, fill_pool, hold_pool = ids
    if level > filled:
        run.say(f"fill: placing {level - filled:,} active holds in Redis")
        seconds = asyncio.run(_fill(fleet.env, fleet.tenant_id, listing_id, fill_pool, level - filled))
        run.extra[f"fill {level} seconds"] = round(seconds, 1)
    active = asyncio.run(_active(fleet.env))
    load = Load("POST", "/v1/holds", HOLD_BODY % (listing_id, hold_pool), fleet.key)
    closed, opened = run.measure(f"fill {level:,}", load, fleet.ports, rate=rate)
    for result in (closed, opened):
        result.note = (result.note + f"; {active:,} held units in Redis before").lstrip("; ")
    return level


# --- profile ---------------------------------------------------------------------------------


def profile(
    run: Run, fleet: stack.Fleet, load: Load, name: str = "profile", svg_name: str = "http-profile.svg"
) -> None:
    """py-spy on one API process while the closed-loop hold load runs; the top frames go in the JSON
    under ``name``, the flame graph in ``svg_name``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = run.logs / f"{name.replace(' ', '-')}.txt"
    svg = Path(run.args.out) / svg_name
    seconds = max(3, int(run.args.duration))
    # `holdfast serve` is granian's supervisor: its worker serves the requests (--subprocesses), and
    # the supervisor only waits, so idle frames are left out.
    target = [spy, "record", "--pid", str(fleet.pids[0]), "--subprocesses", "--duration", str(seconds)]
    command = [*target, "--rate", "200", "--nonblocking"]
    run.say(f"profile: py-spy on pid {fleet.pids[0]} for {seconds}s under the hold load")
    spies = [
        subprocess.Popen(
            [*command, "--format", "raw", "-o", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ),
    ]
    time.sleep(0.5)
    loads.closed("profile", load, fleet.ports, run.args.connections, seconds + 1)
    for spy_run in spies:
        _, err = spy_run.communicate()
        if spy_run.returncode != 0:
            run.say(f"py-spy failed: {err.decode()[-500:]}")
            return
    run.extra[name] = top_frames(raw.read_text())
    with_svg = [*target, "--rate", "100"]
    spy_svg = subprocess.Popen(
        [*with_svg, "--nonblocking", "-o", str(svg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.5)
    loads.closed("profile", load, fleet.ports, run.args.connections, seconds + 1)
    spy_svg.wait()


def top_frames(collapsed: str, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive shares of the samples, by function, from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack_text.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    share = 100 / (total or 1)
    return {
        "self_percent": [(f, round(n * share, 1)) for f, n in own.most_common(top)],
        "inclusive_percent": [(f, round(n * share, 1)) for f, n in inclusive.most_common(top * 2)],
        "samples": [("total", float(total))],
    }


def _short(frame: str) -> str:
    """``fn (path/to/module.py:123)`` -> ``fn (module.py)``: lines vary, functions matter."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    keep = "/".join(parts[-2:]) if parts else path
    return f"{name} ({keep})"


# --- the run ---------------------------------------------------------------------------------


@contextmanager
def _maybe(run: Run, names: tuple[str, ...], start: Callable[[], object]) -> Iterator[stack.Fleet | None]:
    if not any(run.wanted(n) for n in names):
        yield None
        return
    with start() as fleet:  # type: ignore[attr-defined]
        yield fleet


def ratio_of(run: Run, result: Result, processes: int) -> None:
    ceiling = run.ceiling.get((result.mode, processes))
    if result.target in ("pgbench", "pgbench-hold", "engine-sql-pg"):
        return  # not HTTP: measured against pgbench, see measure_sql_pg
    if ceiling and result.mode == "closed":
        result.ratio = result.rps / ceiling
    elif ceiling and result.mode == "open" and result.rate:
        result.ratio = None  # open loop: the offered rate is chosen, not measured; see the closed ratio


def measure_paired(run: Run) -> None:
    """``--paired N``: the no-op and the rate-limited stack both up, measured in turn N times (closed
    loop, the main concurrency), each pair's ratio told. On a box others share, the load moves
    between two measurements a minute apart (the usual run: the no-op, then the stack); a pair a
    few seconds apart sees nearly the same load, and the median of the pairs' ratios says more."""
    args = run.args
    with (
        stack.noop(args.server, args.processes, run.logs) as noop_fleet,
        stack.production("redis", args.processes, run.logs, RATE_LIMITED) as fleet,
    ):
        noop_load = Load("POST", "/", HOLD_BODY % (uuid4(), uuid4()))
        load = rate_limited_load(fleet)
        pairs = []
        for n in range(args.paired):
            run.say(f"pair {n + 1}/{args.paired}: noop, then ratelimited")
            ceiling = loads.closed("noop", noop_load, noop_fleet.ports, args.connections, args.duration)
            target = loads.closed("ratelimited", load, fleet.ports, args.connections, args.duration)
            target.ratio = target.rps / ceiling.rps if ceiling.rps else None
            run.results += [ceiling, target]
            pairs.append((ceiling.rps, target.rps, target.ratio, target.errors))
    ratios = sorted(ratio for _, _, ratio, _ in pairs if ratio is not None)
    run.extra["paired ratelimited"] = {"pairs": pairs, "median_ratio": ratios[len(ratios) // 2] if ratios else None}
    lines = ["| pair | noop r/s | ratelimited r/s | ratio | errors |", "| ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {n} | {a:,.0f} | {b:,.0f} | {r:.3f}x | {e} |" for n, (a, b, r, e) in enumerate(pairs, 1)]
    if ratios:
        lines.append(f"median ratio over {len(ratios)} pairs: {ratios[len(ratios) // 2]:.3f}x")
    print("\n".join(lines))


def measure_all(run: Run) -> None:
    args = run.args
    processes = args.processes
    if args.paired:
        measure_paired(run)
        return
    if run.wanted("noop"):
        with stack.noop(args.server, processes, run.logs) as fleet:
            body = HOLD_BODY % (uuid4(), uuid4())
            run.ceiling_of(run.measure("noop", Load("POST", "/", body), fleet.ports, sweep=True), processes)
    prod_targets = ("health", "holds-redis", "soldout", "bookings", "fill", "queue-join", "queue-status", "quotes")
    with _maybe(run, prod_targets, lambda: stack.production("redis", processes, run.logs)) as fleet:
        if fleet is not None:
            measure_redis(run, fleet)
            reconcile(run, fleet, "redis")
    with _maybe(run, ("ratelimited",), lambda: stack.production("redis", processes, run.logs, RATE_LIMITED)) as fleet:
        if fleet is not None:
            measure_rate_limited(run, fleet)
    sql_pg = ("holds-sql-pg", "pgbench", "pgbench-hold", "engine-sql-pg")
    with _maybe(run, sql_pg, lambda: stack.production("sql", processes, run.logs)) as fleet:
        if fleet is not None:
            measure_sql_pg(run, fleet)
            reconcile(run, fleet, "sql")
    for result in run.results:
        ratio_of(run, result, processes)
    if run.wanted("noop-1"):
        with stack.noop(args.server, 1, run.logs) as fleet:
            start = len(run.results)
            body = HOLD_BODY % (uuid4(), uuid4())
            run.ceiling_of(run.measure("noop-1", Load("POST", "/", body), fleet.ports), 1)
    embedded = ("holds-sqlite", "health-sqlite", "quotes-sqlite")
    start = len(run.results)
    with _maybe(run, embedded, lambda: stack.embedded(run.logs)) as fleet:
        if fleet is not None:
            if run.wanted("health-sqlite"):
                run.measure("health-sqlite", Load(key=fleet.key), fleet.ports)
            if run.wanted("holds-sqlite"):
                listing_id, [pool_id] = listing(fleet, 1_000_000)
                load = Load("POST", "/v1/holds", HOLD_BODY % (listing_id, pool_id), fleet.key)
                run.measure("holds-sqlite", load, fleet.ports)
                if run.args.profile:
                    profile(run, fleet, load, "profile holds-sqlite", "http-profile-sqlite.svg")
            if run.wanted("quotes-sqlite"):
                run.measure("quotes-sqlite", quote_load(fleet), fleet.ports)
    for result in run.results[start:]:
        ratio_of(run, result, 1)
    for result in run.results:
        if result.target == "noop-1":
            ratio_of(run, result, 1)


# The ``ratelimited`` stack: one hold an hour for each identity and address, so once the first
# hold is placed every other is refused (429) for the whole run.
RATE_LIMITED = {"HOLDFAST_RATE_LIMIT_HOLDS": "1/h burst 1"}


def rate_limited_load(fleet: stack.Fleet) -> Load:
    """``POST /v1/holds`` with the key's (and the address's) bucket empty: every answer a 429. The
    first refusal in each API process asks Redis; the process then remembers the bucket empty
    until its next token is due (an hour), so the rest is refused without a Redis command."""
    listing_id, [pool_id] = listing(fleet, 1_000_000)
    load = Load("POST", "/v1/holds", HOLD_BODY % (listing_id, pool_id), fleet.key, expected=frozenset({429}))
    with httpx.Client(base_url=f"http://127.0.0.1:{fleet.ports[0]}", headers={"X-API-Key": fleet.key}) as client:
        body = json.loads(HOLD_BODY.replace("{ref}", "first") % (listing_id, pool_id))
        assert client.post("/v1/holds", json=body).status_code == 201  # the bucket's one token
        assert client.post("/v1/holds", json=body).status_code == 429
    return load


def measure_rate_limited(run: Run, fleet: stack.Fleet) -> None:
    load = rate_limited_load(fleet)
    run.measure("ratelimited", load, fleet.ports, sweep=True)
    if run.args.profile:
        profile(run, fleet, load, "profile ratelimited", "http-profile-ratelimited.svg")


def measure_sql_pg(run: Run, fleet: stack.Fleet) -> None:
    """holds-sql-pg, pgbench-hold and engine-sql-pg between two pgbench runs of the bare conditional
    UPDATE on one hot pool (same Postgres, as many clients as HTTP connections); each as a ratio to
    their mean. Each measurement has a pool of its own, in a listing of its own."""
    clients = run.args.connections * len(fleet.ports)
    url = fleet.env["HOLDFAST_DATABASE_URL"]
    ceilings: list[float] = []

    def bench() -> None:
        if run.wanted("pgbench"):
            listing_id, [pool_id] = listing(fleet, 1_000_000)
            run.say(f"pgbench: the conditional UPDATE on one pool row, {clients} clients")
            run.results.append(hot_pool.pgbench(url, listing_id, pool_id, clients, run.args.duration))
            ceilings.append(run.results[-1].rps)

    bench()
    measured: list[Result] = []
    if run.wanted("holds-sql-pg"):
        listing_id, [pool_id] = listing(fleet, 1_000_000)
        run.reconciled.setdefault("sql", []).append(listing_id)
        load = Load("POST", "/v1/holds", HOLD_BODY % (listing_id, pool_id), fleet.key)
        measured.append(run.measure("holds-sql-pg", load, fleet.ports, sweep=True)[0])
        if run.args.profile:
            profile(run, fleet, load, "profile holds-sql-pg", "http-profile-sql-pg.svg")
    if run.wanted("pgbench-hold"):
        listing_id, [pool_id] = listing(fleet, 1_000_000)
        run.say(f"pgbench-hold: holdfast_place_hold on one pool, {clients} clients")
        measured.append(hot_pool.pgbench(url, listing_id, pool_id, clients, run.args.duration, "pgbench-hold"))
        run.results.append(measured[-1])
    if run.wanted("engine-sql-pg"):
        listing_id, [pool_id] = listing(fleet, 1_000_000)
        run.say(f"engine-sql-pg: place_hold from this process, {clients} in flight")
        measured.append(hot_pool.engine_load(url, listing_id, pool_id, clients, run.args.duration))
        run.results.append(measured[-1])
    bench()
    if ceilings:
        ceiling = sum(ceilings) / len(ceilings)
        for result in measured:
            result.note = (result.note + f"; {result.rps / ceiling:.3f}x pgbench").lstrip("; ")
            run.extra[f"{result.target} / pgbench ({result.mode} loop)"] = round(result.rps / ceiling, 3)


def reconcile(run: Run, fleet: stack.Fleet, engine: str) -> None:
    """``holdfast reconcile inventory`` once the load is over, as an operator would, on each listing
    the load placed holds on through the API: exit status 0 means every counter of the engine
    agrees with Postgres (nothing oversold, nothing lost). The fill listing is left out: its
    million holds went straight into Redis, past the journal's length bound, so Postgres never
    heard of most of them (which reconcile reports, as it should)."""
    for listing_id in run.reconciled.get(engine, []):
        command = [stack.HOLDFAST, "reconcile", "inventory", "--listing", listing_id]
        done = subprocess.run(command, env=fleet.env, capture_output=True, text=True, check=False)
        (run.logs / f"reconcile-{engine}-{listing_id}.log").write_text(done.stdout + done.stderr)
        said = (done.stdout.strip() or done.stderr.strip() or "(no output)").splitlines()
        run.extra[f"reconcile inventory --listing {listing_id} after the {engine} run"] = (
            f"exit {done.returncode}: {said[-1] if done.returncode == 0 else ' / '.join(said[-3:])}"
        )


def measure_redis(run: Run, fleet: stack.Fleet) -> None:
    ports = fleet.ports
    fill_ids: tuple[str, ...] = ()
    fill_rate = run.args.fill_rate
    if run.wanted("fill"):
        listing_id, [fill_pool, hold_pool] = listing(fleet, 1_000_000, pools=2)
        fill_ids = (listing_id, fill_pool, hold_pool)
        if not fill_rate:
            probe = loads.closed(
                "probe",
                Load("POST", "/v1/holds", HOLD_BODY % (listing_id, hold_pool), fleet.key),
                ports,
                run.args.connections,
                2,
            )
            fill_rate = max(1.0, round(probe.rps * 0.5))
        run.extra["fill rate (open loop, requests/s)"] = fill_rate
        filled = fill_series(run, fleet, fill_rate, 1, 0, fill_ids)
    if run.wanted("health"):
        run.measure("health", Load(key=fleet.key), ports, sweep=True)
    if run.wanted("holds-redis"):
        listing_id, [pool_id] = listing(fleet, 1_000_000)
        run.reconciled.setdefault("redis", []).append(listing_id)
        load = Load("POST", "/v1/holds", HOLD_BODY % (listing_id, pool_id), fleet.key)
        run.measure("holds-redis", load, ports, sweep=True)
        if run.args.profile:
            profile(run, fleet, load)
    if run.wanted("soldout"):
        listing_id, [pool_id] = listing(fleet, 0)
        run.reconciled.setdefault("redis", []).append(listing_id)
        load = Load("POST", "/v1/holds", HOLD_BODY % (listing_id, pool_id), fleet.key, expected=frozenset({409}))
        run.measure("soldout", load, ports, sweep=True)
    if run.wanted("bookings"):
        listing_id, [pool_id] = listing(fleet, 1_000_000, unit_price=0)
        run.reconciled.setdefault("redis", []).append(listing_id)
        body = '{"hold_id": "{hold}"}'
        path = holds_file(run, fleet, listing_id, pool_id, run.args.booking_holds)
        closed = loads.closed(
            "bookings",
            Load("POST", "/v1/bookings", body, fleet.key, path),
            ports,
            run.args.connections,
            run.args.duration,
        )
        closed.note = "201 = a new booking; 200 = a hold booked again (the holds ran out)"
        run.results.append(closed)
        if run.args.profile:
            load = booking_load(run, fleet, listing_id, pool_id, closed)
            profile(run, fleet, load, "profile bookings", "http-profile-bookings.svg")
        if "open" in run.args.loops:
            rate = max(1.0, round(closed.statuses.get("201", 0) / closed.duration_s * run.args.open_fraction))
            path = holds_file(run, fleet, listing_id, pool_id, math.ceil(rate * run.args.duration * 1.05) + 10)
            opened = loads.open_loop(
                "bookings", Load("POST", "/v1/bookings", body, fleet.key, path), ports, rate, run.args.duration
            )
            run.results.append(opened)
    if run.wanted("quotes"):
        run.measure("quotes", quote_load(fleet), ports)
    if run.wanted("queue-join"):
        run.measure("queue-join", queue.join_load(run.logs, fleet, run.args.queue_identities), ports)
    if run.wanted("queue-status"):
        run.measure("queue-status", queue.status_load(run.logs, fleet, run.args.queue_identities), ports)
    if run.wanted("fill"):
        for level in FILL_LEVELS[1:]:
            if level <= run.args.fill_max:
                filled = fill_series(run, fleet, fill_rate, level, filled, fill_ids)


def report(run: Run, started: float) -> str:
    args = run.args
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_cores()} cores, Python {sys.version.split()[0]}, "
        f"server {args.server}, {args.processes} processes a stack (SQLite: 1), "
        f"{args.connections} connections a port, {args.duration:g} s a measurement, "
        f"open loop at {args.open_fraction:g} x the closed-loop rate; whole run {time.perf_counter() - started:.0f} s",
        "",
        HEADER,
        *(r.row() for r in run.results),
    ]
    for name, value in run.extra.items():
        if not name.startswith("profile"):
            lines.append(f"\n{name}: {value}")
    for name, prof in run.extra.items():
        if not name.startswith("profile"):
            continue
        assert isinstance(prof, dict)
        lines.append(f"\n{name} (py-spy, one API process, hold load), self %:")
        lines += [f"  {share:5.1f}  {frame}" for frame, share in prof["self_percent"]]
        lines.append("inclusive %:")
        lines += [f"  {share:5.1f}  {frame}" for frame, share in prof["inclusive_percent"]]
    return "\n".join(lines)


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="+", choices=TARGETS, default=list(TARGETS), help="targets to measure")
    parser.add_argument(
        "--server", default="granian", choices=("uvicorn", "granian"), help="for the no-op ceiling (holdfast serve's)"
    )
    parser.add_argument("--processes", type=int, default=2, help="API processes (one a port) in the production stacks")
    parser.add_argument("--connections", type=int, default=32, help="closed loop: connections a port")
    parser.add_argument(
        "--sweep", type=int, nargs="*", default=[4, 16, 64], help="closed loop: other connections a port"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds a measurement")
    parser.add_argument("--open-fraction", type=float, default=0.7, help="open loop rate / closed-loop rate")
    parser.add_argument("--open-max", type=float, default=3000, help="open loop: the most requests/s offered")
    parser.add_argument(
        "--fill-rate", type=float, default=0, help="open-loop holds/s for the fill series (0: half of a probe)"
    )
    parser.add_argument("--fill-max", type=int, default=FILL_LEVELS[-1], help="the largest fill level to measure")
    parser.add_argument("--booking-holds", type=int, default=1500, help="holds placed for the closed-loop bookings")
    parser.add_argument(
        "--queue-identities", type=int, default=20_000, help="API keys (one identity each) for the waiting room targets"
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy one API process under each wanted hold and booking load"
    )
    parser.add_argument(
        "--paired", type=int, default=0, help="ratelimited against the no-op, N pairs measured in turn (nothing else)"
    )
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument(
        "--loops", nargs="+", choices=("closed", "open"), default=["closed", "open"], help="open only: no wrk needed"
    )
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1]), help="where the JSON and PNGs go")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="holdfast-bench-http-") as logs:
        run = Run(args, Path(logs))
        try:
            measure_all(run)
        except Exception:
            for log in sorted(Path(logs).glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-10:]
                print(f"--- {log.name}\n" + "\n".join(tail), file=sys.stderr)
            raise
        text = report(run, started)
        print(text)
        data = {
            "args": vars(args),
            "results": [as_json(r) for r in run.results],
            "sweep": {target: [as_json(r) for r in runs] for target, runs in run.sweep.items()},
            "extra": run.extra,
            "report": text,
        }
        (out / "http-results.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
        if not args.no_plots:
            for path in plot(run.results, run.sweep, out):
                run.say(f"wrote {path}")


if __name__ == "__main__":
    main()
