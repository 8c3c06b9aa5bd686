"""Percentiles, merged distributions, the Markdown table and the plots of ``benchmarks.http``."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PERCENTILES = (50.0, 99.0, 99.9)


@dataclass
class Result:
    """One measurement: a target under one load shape."""

    target: str
    mode: str  # "closed" (wrk, fixed connections) or "open" (constant arrival rate)
    connections: int | None  # closed: connections in all; open: at most, per generator process
    rate: float | None  # open: the arrival rate asked for, requests/s
    duration_s: float
    requests: int  # answered
    rps: float
    latency_ms: dict[str, float]  # "p50", "p99", "p99.9", "max"
    statuses: dict[str, int]
    errors: int  # socket errors, unanswered requests, and statuses other than the expected ones
    cdf: list[tuple[float, float]] = field(default_factory=list)  # (ms, fraction answered by then)
    ratio: float | None = None  # rps / the ceiling's rps (same mode, same process count)
    note: str = ""

    def row(self) -> str:
        lat = self.latency_ms
        ratio = "" if self.ratio is None else f"{self.ratio:.3f}x"
        load = f"{self.connections} conns" if self.mode == "closed" else f"{self.rate:,.0f}/s offered"
        codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(self.statuses.items()))
        return (
            f"| {self.target} | {self.mode} | {load} | {self.rps:,.0f} | {ratio} | {lat['p50']:.1f} | "
            f"{lat['p99']:.1f} | {lat['p99.9']:.1f} | {self.errors:,} | {codes} |{' ' + self.note if self.note else ''}"
        )


HEADER = (
    "| target | loop | load | requests/s | ratio to ceiling | p50 ms | p99 ms | p99.9 ms | errors | statuses |\n"
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


def errors_of(statuses: dict[str, int], expected: frozenset[int]) -> int:
    """Everything but the expected statuses (and 2xx, when nothing else is expected)."""
    bad = 0
    for code, n in statuses.items():
        ok = code.isdigit() and (int(code) in expected if expected else 200 <= int(code) < 300)
        bad += 0 if ok else n
    return bad


def from_samples(latencies_ms: list[float]) -> tuple[dict[str, float], list[tuple[float, float]]]:
    """Exact percentiles (nearest rank) and a CDF of at most 200 points."""
    values = sorted(latencies_ms)
    if not values:
        return {"p50": math.nan, "p99": math.nan, "p99.9": math.nan, "max": math.nan}, []

    def rank(p: float) -> float:
        # round first: 99.9 / 100 * 1000 is 999.0000000000001 in floating point
        return values[min(len(values) - 1, max(0, math.ceil(round(p / 100 * len(values), 9)) - 1))]

    lat = {f"p{p:g}": rank(p) for p in PERCENTILES} | {"max": values[-1]}
    step = max(1, len(values) // 200)
    cdf = [(values[i], (i + 1) / len(values)) for i in range(0, len(values), step)]
    cdf.append((values[-1], 1.0))
    return lat, cdf


def merge_quantiles(parts: list[tuple[int, dict[str, int]]]) -> tuple[dict[str, float], list[tuple[float, float]]]:
    """Several wrk runs (one per port) as one distribution.

    Each part is (answered count, {percentile: µs}); its CDF is interpolated between the given
    points, the parts are weighted by their counts, and the percentiles are read back off the sum.
    """
    curves = []
    total = sum(count for count, _ in parts) or 1
    for count, grid in parts:
        points = sorted((float(p) / 100, us / 1000) for p, us in grid.items())
        curves.append((count / total, [ms for _, ms in points], [f for f, _ in points]))
    xs = sorted({x for _, ms, _ in curves for x in ms})

    def cdf_at(x: float) -> float:
        out = 0.0
        for weight, ms, fractions in curves:
            i = bisect.bisect_right(ms, x)
            out += weight * (fractions[i - 1] if i else 0.0)
        return out

    cdf = [(x, cdf_at(x)) for x in xs]

    def quantile(p: float) -> float:
        return next((x for x, f in cdf if f >= p / 100 - 1e-9), xs[-1] if xs else math.nan)

    lat = {f"p{p:g}": quantile(p) for p in PERCENTILES} | {"max": xs[-1] if xs else math.nan}
    return lat, cdf


def plot(results: list[Result], sweep: dict[str, list[Result]], out: Path) -> list[Path]:
    """Throughput against concurrency (closed loop) and latency CDFs (both loops), as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if sweep:
        fig, ax = plt.subplots(figsize=(8, 5))
        for target, runs in sweep.items():
            runs = sorted(runs, key=lambda r: r.connections or 0)
            ax.plot([r.connections for r in runs], [r.rps for r in runs], marker="o", label=target)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections (closed loop, wrk, all ports)")
        ax.set_ylabel("requests/s")
        ax.set_title("Throughput against concurrency")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        written.append(out / "http-throughput.png")
        fig.savefig(written[-1], dpi=100, bbox_inches="tight")
        plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for ax, mode in zip(axes, ("closed", "open"), strict=True):
        shown = [r for r in results if r.mode == mode and r.cdf]
        for i, r in enumerate(shown):
            style = ("-", "--", ":")[i // 10 % 3]  # the colour cycle has ten colours
            ax.plot([x for x, _ in r.cdf], [f for _, f in r.cdf], style, label=r.target)
        ax.set_xscale("log")
        ax.set_xlabel("latency, ms (open loop: from the request's due time)")
        ax.set_title(f"Latency CDF, {mode} loop")
        ax.grid(True, which="both", alpha=0.3)
        if shown:
            ax.legend(fontsize=7)
    axes[0].set_ylabel("fraction of requests answered")
    written.append(out / "http-latency-cdf.png")
    fig.savefig(written[-1], dpi=100, bbox_inches="tight")
    plt.close(fig)
    return written


def as_json(result: Result) -> dict[str, Any]:
    data = dict(result.__dict__)
    data["cdf"] = [[round(x, 3), round(f, 5)] for x, f in result.cdf]
    return data
