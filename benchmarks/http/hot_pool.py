"""The ceiling of the sql engine on Postgres (issue 9 item 6): a hot pool's conditional UPDATE.

* **pgbench**: Postgres' own load generator, in C, running the engine's reservation -- ``UPDATE
  inventory_pools SET held = held + 1 WHERE pool_id = ... AND listing_id = ... AND capacity -
  held - sold >= 1``, one statement a transaction, prepared -- on one pool row, with as many
  clients as the HTTP load has connections, against the stack's own Postgres. Every client
  queues on that row's lock, as every hold on a hot pool does: no hold can go faster.
* **pgbench-hold**: the same pgbench calling ``holdfast_place_hold`` itself (a new hold id and
  customer each time, one line of one unit) on another pool: what a hold costs inside Postgres,
  with no Python at all -- the most any client of this engine could reach.
* **engine-sql-pg**: ``SqlInventoryEngine.place_hold`` called from this process, as many calls
  in flight as pgbench has clients, on another pool of the same size: the hold itself (the
  function call and everything it writes) without HTTP, authentication or the catalogue.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

from sqlalchemy import make_url

from benchmarks.http.stats import Result, from_samples

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
TAKE = (
    "UPDATE inventory_pools SET held = held + 1 WHERE pool_id = '{pool}' AND listing_id = '{listing}' "
    "AND capacity - held - sold >= 1;\n"
)
PLACE = (
    "SELECT * FROM holdfast_place_hold(gen_random_uuid(), '{listing}', '{listing}', md5(random()::text), 'EUR', "
    "now(), now() + interval '10 minutes', ARRAY['{pool}']::uuid[], ARRAY[1], ARRAY[1000]::bigint[], NULL, 100);\n"
)


def pgbench(
    database_url: str, listing_id: str, pool_id: str, clients: int, duration: float, target: str = "pgbench"
) -> Result:
    """pgbench -M prepared -c ``clients`` on the take (or, for pgbench-hold, the hold function);
    latencies from its per-transaction log."""
    url = make_url(database_url)
    with tempfile.TemporaryDirectory(prefix="holdfast-pgbench-") as folder:
        script = Path(folder) / "take.sql"
        script.write_text((PLACE if target == "pgbench-hold" else TAKE).format(pool=pool_id, listing=listing_id))
        host, port, user = url.host or "127.0.0.1", str(url.port or 5432), url.username or "postgres"
        command = [PGBENCH, "-h", host, "-p", port, "-U", user]
        command += ["-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(max(1, round(duration)))]
        command += ["-f", str(script), "-l", "--log-prefix", str(Path(folder) / "log"), str(url.database)]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=folder)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        latencies_ms = [
            int(line.split()[2]) / 1000 for log in Path(folder).glob("log.*") for line in log.read_text().splitlines()
        ]
    tps = next(float(line.split()[2]) for line in done.stdout.splitlines() if line.startswith("tps = "))
    failed = next((int(line.split()[-2]) for line in done.stdout.splitlines() if "failed transactions" in line), 0)
    lat, cdf = from_samples(latencies_ms)
    statuses = {"committed": len(latencies_ms)} | ({"failed": failed} if failed else {})
    return Result(target, "closed", clients, None, duration, len(latencies_ms), tps, lat, statuses, failed, cdf)


async def _engine_load(database_url: str, listing_id: UUID, pool_id: UUID, clients: int, duration: float) -> Result:
    from domain.errors import DomainError
    from domain.inventory import Hold, HoldLine
    from infrastructure.inventory.sql import SqlInventoryEngine
    from infrastructure.persistence.database import Database

    database = Database(database_url, pool_size=clients)
    engine = SqlInventoryEngine(database)
    latencies: list[float] = []
    refused = 0
    deadline = time.perf_counter() + duration

    async def client(n: int) -> None:
        nonlocal refused
        sent = 0
        while time.perf_counter() < deadline:
            now = datetime.now(UTC)
            hold = Hold(uuid4(), uuid4(), listing_id, f"engine-{n}-{sent}", ((HoldLine(pool_id, 1, 1000)),), "EUR", now,
                        now + timedelta(minutes=10))  # fmt: skip
            started = time.perf_counter()
            try:
                await engine.place_hold(hold, None)
            except DomainError:
                refused += 1
            latencies.append((time.perf_counter() - started) * 1000)
            sent += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        await engine.aclose()
        await database.dispose()
    elapsed = time.perf_counter() - started
    lat, cdf = from_samples(latencies)
    statuses = {"placed": len(latencies) - refused} | ({"refused": refused} if refused else {})
    count = len(latencies)
    rps = count / elapsed
    return Result("engine-sql-pg", "closed", clients, None, duration, count, rps, lat, statuses, refused, cdf)


def engine_load(database_url: str, listing_id: str, pool_id: str, clients: int, duration: float) -> Result:
    """``place_hold`` from this process, ``clients`` calls in flight, for ``duration`` seconds."""
    return asyncio.run(_engine_load(database_url, UUID(listing_id), UUID(pool_id), clients, duration))
