"""The processes a measurement runs against: the ASGI no-op, and ``holdfast serve`` set up as a
user would (``holdfast migrate``, ``holdfast create-tenant``, HOLDFAST_* settings)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests import servers

START_TIMEOUT_S = 60.0
HOLDFAST = str(Path(sys.executable).with_name("holdfast"))
ROOT = Path(__file__).resolve().parents[2]


class StackError(RuntimeError):
    """A process did not start; the message carries its log's tail."""


@dataclass
class Fleet:
    """Server processes, one a port, all answering the same requests."""

    ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    key: str = ""  # a tenant's API key, for the service
    tenant_id: str = ""

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGINT (the servers' graceful stop), then SIGKILL: only the processes started here."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2).status_code == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            raise StackError(f"server on port {port} did not start; last lines of its log:\n{tail}")
        time.sleep(0.2)


@contextlib.contextmanager
def _serving(commands: list[list[str]], ports: list[int], env: Mapping[str, str], logs: Path) -> Iterator[Fleet]:
    fleet = Fleet(ports, env=dict(env))
    try:
        for command, port in zip(commands, ports, strict=True):
            log = logs / f"server-{port}.log"
            with log.open("ab") as out:
                fleet.processes.append(
                    subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
                )
        for process, port in zip(fleet.processes, ports, strict=True):
            _wait_ready(process, port, logs / f"server-{port}.log")
        yield fleet
    finally:
        _stop(fleet.processes)


def noop_command(server: str, port: int) -> list[str]:
    """The no-op app under the named ASGI server, as ``holdfast serve`` runs its own app."""
    app = "benchmarks.http.noop_app:app"
    if server == "uvicorn":
        # holdfast serve: uvicorn.run with its defaults (uvloop and httptools when installed), no access log.
        return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    if server == "granian":
        granian = str(Path(sys.executable).with_name("granian"))
        return [granian, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--no-ws", app]
    raise ValueError(f"unknown server {server!r} (uvicorn or granian)")


@contextlib.contextmanager
def noop(server: str, processes: int, logs: Path) -> Iterator[Fleet]:
    ports = [servers.free_port() for _ in range(processes)]
    env = dict(os.environ) | {"PYTHONPATH": str(ROOT)}
    with _serving([noop_command(server, port) for port in ports], ports, env, logs) as fleet:
        yield fleet


def _holdfast(args: list[str], env: Mapping[str, str]) -> str:
    done = subprocess.run([HOLDFAST, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StackError(f"holdfast {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


# Every target's load comes from one address at thousands a second: the rate limits stay on (each
# request is checked, as deployed) with buckets no load here empties. The ``ratelimited`` target
# sets its own (``RATE_LIMITED``).
UNTRIPPED = {
    f"HOLDFAST_RATE_LIMIT_{c}": "1000000/s burst 1000000" for c in ("AUTH", "HOLDS", "READS", "WRITES", "QUEUE")
}
# (these pass through: HOLDFAST_SOLD_OUT_LATCH_MS=0 measures without the sold-out latch,
# HOLDFAST_RATE_LIMITS=false without rate limits)
PASSED = ("HOLDFAST_SOLD_OUT_LATCH_MS", "HOLDFAST_RATE_LIMITS")


@contextlib.contextmanager
def holdfast(settings: Mapping[str, str], processes: int, logs: Path) -> Iterator[Fleet]:
    """``holdfast migrate``, ``holdfast create-tenant``, then ``holdfast serve`` once a port."""
    ports = [servers.free_port() for _ in range(processes)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDFAST_") or k in PASSED}
    env |= {"HOLDFAST_HOST": "127.0.0.1", "HOLDFAST_LOG_LEVEL": "INFO", **UNTRIPPED, **settings}
    _holdfast(["migrate"], env)
    created = _holdfast(["create-tenant", f"bench-{os.getpid()}-{time.monotonic_ns()}"], env)
    found = re.search(r"tenant (\S+) created; API key \(shown once\): (\S+)", created)
    if found is None:
        raise StackError(f"unexpected create-tenant output: {created!r}")
    commands = [[HOLDFAST, "serve"] for _ in ports]
    with contextlib.ExitStack() as stack:
        fleet = Fleet(ports)
        for port, command in zip(ports, commands, strict=True):
            one = stack.enter_context(_serving([command], [port], env | {"HOLDFAST_PORT": str(port)}, logs))
            fleet.processes += one.processes
        fleet.env, fleet.tenant_id, fleet.key = env, found[1], found[2]
        yield fleet


@contextlib.contextmanager
def production(engine: str, processes: int, logs: Path, extra: Mapping[str, str] | None = None) -> Iterator[Fleet]:
    """The production profile of ops/local-stack: Postgres, Redis, HOLDFAST_ENV=production, SAQ jobs
    (and ``extra`` settings).

    No ``holdfast worker`` runs: the APIs only enqueue, and nothing measured here waits on a job.
    """
    with servers.postgres_server() as database_url, servers.redis_server() as redis_url:
        settings = {
            "HOLDFAST_ENV": "production",
            "HOLDFAST_DATABASE_URL": database_url,
            "HOLDFAST_REDIS_URL": redis_url,
            "HOLDFAST_INVENTORY_ENGINE": engine,
            "HOLDFAST_JOBS": "saq",
            "HOLDFAST_PAYMENTS": "fake",
            # Production refuses the fake gateway unless told: no money moves in a benchmark.
            "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS": "true",
            "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_holdfast_benchmarks_only",
            "HOLDFAST_QUEUE_PASS_SECRET": "holdfast-queue-pass-benchmarks-only-0123456789",
            "HOLDFAST_JWT_KEYS": "bench:holdfast-benchmarks-only-access-token-key",
            "HOLDFAST_WORKERS": "1",  # one process a port, as the ceiling runs
            **(extra or {}),
        }
        with holdfast(settings, processes, logs) as fleet:
            yield fleet


@contextlib.contextmanager
def embedded(logs: Path) -> Iterator[Fleet]:
    """The embedded default of ``make run``: SQLite, the sql engine, one process, in-process jobs."""
    with tempfile.TemporaryDirectory(prefix="holdfast-bench-") as folder:
        settings = {
            "HOLDFAST_DATABASE_URL": f"sqlite+aiosqlite:///{Path(folder) / 'holdfast.db'}",
            "HOLDFAST_EMAIL_DIR": str(Path(folder) / "mail"),
        }
        with holdfast(settings, 1, logs) as fleet:
            yield fleet
