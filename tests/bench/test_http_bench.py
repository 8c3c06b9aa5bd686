"""The HTTP benchmark (benchmarks/http) still runs end to end and writes a result a reader can parse.

Performance is not asserted here (the benchmark's job); only that the tool works: it starts
the embedded default as a user would (holdfast migrate, create-tenant, serve), drives it with
the open-loop generator for a second, and writes its JSON with sane, self-consistent figures.
The closed loop needs wrk, which the test set-up does not install, so it is left out here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.http.stats import errors_of, from_samples, merge_quantiles

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_run_writes_a_parsable_result(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "benchmarks.http", "--only", "health-sqlite", "--loops", "open"]
    command += ["--duration", "1", "--open-max", "50", "--no-plots", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((tmp_path / "http-results.json").read_text())
    [result] = data["results"]
    assert (result["target"], result["mode"], result["rate"]) == ("health-sqlite", "open", 50)
    assert result["requests"] + result["errors"] == 50
    assert result["statuses"].get("200", 0) == result["requests"]
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p99"] <= result["latency_ms"]["max"]
    assert "| health-sqlite | open |" in data["report"]


def test_percentiles_of_samples_are_nearest_rank() -> None:
    lat, cdf = from_samples([float(n) for n in range(1, 1001)])
    assert (lat["p50"], lat["p99"], lat["p99.9"], lat["max"]) == (500.0, 990.0, 999.0, 1000.0)
    assert cdf[-1] == (1000.0, 1.0)


def test_two_ports_merge_into_one_distribution_weighted_by_their_counts() -> None:
    fast = {"50": 1000, "99": 2000, "100": 3000}  # µs
    slow = {"50": 10000, "99": 20000, "100": 30000}
    lat, _ = merge_quantiles([(900, fast), (100, slow)])
    # 90 % of the requests went through the fast port; between grid points a percentile is read
    # at the next point up (conservative): the median is the fast port's p99.
    assert lat["p50"] == 2.0
    assert lat["p99"] == 20.0
    assert lat["max"] == 30.0


def test_errors_are_unexpected_statuses_and_lost_requests() -> None:
    assert errors_of({"201": 5, "409": 2, "unanswered": 1}, frozenset()) == 3
    assert errors_of({"409": 7, "201": 1, "socket_error": 2}, frozenset({409})) == 3


def test_the_cpu_bench_drives_every_target_to_its_answer() -> None:
    """``benchmarks.http.cpu`` (CPU per request, in process) runs on its own servers and every target
    gets the answer it should: the figures mean nothing if holds were refused."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDFAST_TEST_")}  # servers of its own
    command = [sys.executable, "-m", "benchmarks.http.cpu", "--requests", "200", "--rounds", "1", "--concurrency", "8"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = {line.split()[0]: line for line in done.stderr.splitlines() if "us/request" in line}
    assert set(lines) == {
        "noop",
        "health",
        "holds-hot",
        "holds-routed",
        "soldout-hot",
        "soldout-routed",
        "bookings-hot",
        "ratelimited-hot",
        "ratelimited-routed",
    }
    assert "{201: 200}" in lines["holds-hot"]
    assert "{201: 200}" in lines["bookings-hot"]
    assert "{201: 200}" in lines["holds-routed"]
    assert "{409: 200}" in lines["soldout-hot"]
    assert "{429: 200}" in lines["ratelimited-hot"]
    assert "{429: 200}" in lines["ratelimited-routed"]
    assert "{200: 200}" in lines["health"]
