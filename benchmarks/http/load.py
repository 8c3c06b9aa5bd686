"""The two load generators of ``benchmarks.http``: wrk (closed loop) and ``openloop`` (open loop)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.http.stats import Result, errors_of, from_samples, merge_quantiles

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OPEN_LOOP_PER_PROCESS = 1500  # requests/s one generator process keeps to schedule on this box


@dataclass(frozen=True)
class Load:
    """What each request is: method, path, key, and a body template ({ref}, {hold})."""

    method: str = "GET"
    path: str = "/health/live"
    body: str = ""
    key: str = ""
    holds_file: str = ""
    identities_file: str = ""  # "key [ticket]" lines: a key (and its ticket for {ticket}) per request
    expected: frozenset[int] = frozenset()  # empty: any 2xx


def closed(target: str, load: Load, ports: list[int], per_port: int, duration: float) -> Result:
    """wrk, one process of one thread a port, ``per_port`` connections each, all at once."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk not found: apt-get install -y wrk")
    env = os.environ | {
        "BENCH_METHOD": load.method,
        "BENCH_PATH": load.path,
        "BENCH_BODY": load.body,
        "BENCH_KEY": load.key,
        "BENCH_HOLDS": load.holds_file,
        "BENCH_IDENTITIES": load.identities_file,
        "BENCH_THREADS": "1",
    }
    runs = []
    for i, port in enumerate(ports):
        command = [
            wrk,
            "-t1",
            f"-c{per_port}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(HERE / "wrk.lua"),
        ]
        env_i = env | {
            "BENCH_PREFIX": f"w{os.getpid()}-{port}-{i}-{per_port}",
            "BENCH_SHARD": str(i),
            "BENCH_SHARDS": str(len(ports)),
        }
        runs.append(
            subprocess.Popen(
                [*command, f"http://127.0.0.1:{port}{load.path}"], env=env_i, stdout=subprocess.PIPE, text=True
            )
        )
    parts = []
    for run in runs:
        out, _ = run.communicate()
        line = next((x for x in out.splitlines() if x.startswith("BENCHJSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{out}")
        parts.append(json.loads(line.removeprefix("BENCHJSON ")))
    statuses: dict[str, int] = {}
    for part in parts:
        for code, n in part["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    socket_errors = sum(p["socket_errors"] for p in parts)
    if socket_errors:
        statuses["socket_error"] = socket_errors
    requests = sum(p["requests"] for p in parts)
    rps = sum(p["requests"] / (p["duration_us"] / 1e6) for p in parts)
    lat, cdf = merge_quantiles([(p["requests"], p["percentiles_us"]) for p in parts])
    errors = errors_of(statuses, load.expected)
    return Result(target, "closed", per_port * len(ports), None, duration, requests, rps, lat, statuses, errors, cdf)


def open_loop(target: str, load: Load, ports: list[int], rate: float, duration: float) -> Result:
    """``openloop`` processes sharing the arrival rate, latency from each request's due time."""
    procs = max(1, math.ceil(rate / OPEN_LOOP_PER_PROCESS))
    command = [sys.executable, "-m", "benchmarks.http.openloop", "--ports", *map(str, ports)]
    command += ["--rate", str(rate / procs), "--duration", str(duration), "--method", load.method]
    command += ["--path", load.path, "--body", load.body, "--key", load.key, "--procs", str(procs)]
    if load.holds_file:
        command += ["--holds", load.holds_file]
    if load.identities_file:
        command += ["--identities", load.identities_file]
    folder = Path(tempfile.mkdtemp(prefix="holdfast-openloop-"))
    outs = [folder / f"{i}.json" for i in range(procs)]
    prefix = f"o{os.getpid()}-{time.monotonic_ns()}"
    runs = [
        subprocess.Popen([*command, "--proc", str(i), "--prefix", prefix, "--out", str(out)], cwd=ROOT)
        for i, out in enumerate(outs)
    ]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    unanswered, lag = 0, 0.0
    for run, out in zip(runs, outs, strict=True):
        if run.wait() != 0:
            raise RuntimeError(f"the open-loop generator exited with status {run.returncode}")
        data = json.loads(out.read_text())
        latencies += data["latencies_ms"]
        unanswered += data["unanswered"]
        lag = max(lag, data["max_send_lag_ms"])
        for code, n in data["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    shutil.rmtree(folder, ignore_errors=True)
    if unanswered:
        statuses["unanswered"] = unanswered
    lat, cdf = from_samples(latencies)
    note = f"generator fell {lag:.0f} ms behind schedule" if lag > 50 else ""
    errors = errors_of(statuses, load.expected)
    return Result(
        target,
        "open",
        None,
        rate,
        duration,
        len(latencies),
        len(latencies) / duration,
        lat,
        statuses,
        errors,
        cdf,
        note=note,
    )
