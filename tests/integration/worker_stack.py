"""The production profile around real ``holdfast worker`` processes: an API app in the test's
event loop and workers as child processes, sharing a Postgres database and a Redis database.

Worker processes use the real clock; the app uses a ``FakeClock`` the test may set back in
time, so that what it creates (holds) is already due when the workers look.

``start_worker`` and ``serve`` start the real processes for tests that run the whole
deployment as children (``holdfast serve`` too), and ``Child`` is one a drill may SIGKILL and
start again: an API on the same port, so its clients find it again once it is back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from application.use_cases.register_tenant import RegisterTenant
from infrastructure.container import Container, build_container, close_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.databases import migrated_postgres, truncate_all
from tests.e2e.conftest import Api, _empty_redis
from tests.fakes.clock import FakeClock
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKER_DATABASE = "holdfast_workers"
WORKER_REDIS_DB = 6
# What the API processes verify fake "Stripe" webhooks with (production wants one set).
TEST_WEBHOOK_SECRET = "whsec_holdfast_tests_only"


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str]
    container: Container
    api: Api
    clock: FakeClock
    log_dir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, **extra_env: str) -> subprocess.Popen[bytes]:
        process = start_worker({**self.env, **extra_env}, self.log_dir / f"worker-{len(self.workers)}.log")
        self.workers.append(process)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return (self.log_dir / f"worker-{self.workers.index(process)}.log").read_text(errors="replace")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``holdfast worker`` as a child process, its output appended to ``log``."""
    return _holdfast("worker", env, log)


def serve(
    env: dict[str, str], log: Path, port: int | None = None, ready: str = "/health/ready"
) -> tuple[subprocess.Popen[bytes], str]:
    """``holdfast serve`` as a child process on ``port`` (a free one if None), once ``ready``
    answers 200; returns it and its base URL."""
    port = port or free_port()
    process = _holdfast("serve", {**env, "HOLDFAST_PORT": str(port)}, log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{base}{ready}", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"holdfast serve was not ready in 60 s: {log.read_text(errors='replace')}")


def _holdfast(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", command], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


@dataclass
class Child:
    """A ``holdfast serve`` (on a fixed port) or ``holdfast worker`` that a drill may kill with
    SIGKILL and start again; its log keeps every life's output."""

    command: str
    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready: str = "/health/ready") -> None:
        if self.command == "serve":
            self.port = self.port or free_port()
            self.process, _ = serve(self.env, self.log, self.port, ready)
        else:
            self.process = start_worker(self.env, self.log)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as when the machine or the OOM killer takes it."""
        if self.process is not None and self.process.poll() is None:
            assert stop(self.process, signal.SIGKILL) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)


def stack_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOLDFAST_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "HOLDFAST_ENV": "production",
            "HOLDFAST_DATABASE_URL": settings.database_url,
            "HOLDFAST_REDIS_URL": str(settings.redis_url),
            "HOLDFAST_INVENTORY_ENGINE": settings.inventory_engine,
            "HOLDFAST_JOBS": "saq",
            "HOLDFAST_DB_POOL_SIZE": "5",
            # One process per `holdfast serve`, as before HOLDFAST_WORKERS: the drills kill and
            # count processes; test_serve_workers.py covers several workers on one port.
            "HOLDFAST_WORKERS": "1",
            "HOLDFAST_WORKER_CONCURRENCY": "4",
            "HOLDFAST_WEBHOOK_PRIVATE_TARGETS": "allow",  # the tests' receivers listen on loopback
            "HOLDFAST_WEBHOOK_PLAIN_HTTP": "allow",  # ... over plain http
            # Production refuses the fake gateway unless told, and then wants a secret of its own.
            "HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS": "true",
            "HOLDFAST_STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
            "HOLDFAST_QUEUE_PASS_SECRET": "queue-pass-secret-for-tests-only-0123456789",
            "HOLDFAST_JWT_KEYS": "stack:" + "k" * 40,  # production signs access tokens with its own
            # Every schedule off: each test turns on the ones it watches.
            **{
                f"HOLDFAST_{name}_SECONDS": "0"
                for name in ("EXPIRY_SWEEP", "WEBHOOK_RETRY", "RELAY", "DELIVERY", "NOTIFICATION", "REFUND_RETRY")
            },
            **extra,
        }
    )
    return env


@pytest.fixture
async def stack(postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    database_url = migrated_postgres(postgres_url, WORKER_DATABASE)
    worker_redis = redis_url.rsplit("/", 1)[0] + f"/{WORKER_REDIS_DB}"
    await truncate_all(database_url)
    await _empty_redis(worker_redis)
    settings = Settings(
        database_url=database_url,
        redis_url=worker_redis,
        inventory_engine="redis",
        environment="production",
        jobs="saq",
        stripe_webhook_secret=TEST_WEBHOOK_SECRET,
        expiry_sweep_seconds=0,
        webhook_retry_seconds=0,
        db_pool_size=5,
        webhook_private_targets="allow",  # as the workers' env: the receivers listen on loopback,
        webhook_plain_http="allow",  # over plain http
    )
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))  # what the app makes is due for the workers
    container = build_container(settings)
    container.core.clock.override(providers.Object(clock))
    app = create_app(settings, container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        tenant = await container.use_cases.register_tenant()(RegisterTenant("acme"))
        stack = Stack(settings, stack_env(settings), container, Api(client, tenant.api_key, clock), clock, tmp_path)
        try:
            yield stack
        finally:
            for process in stack.workers:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=30)
            await close_container(container)


async def eventually(check: Callable[[], Awaitable[Any]], what: str, deadline: float = 60) -> Any:
    """Poll ``check`` until it returns something truthy; the deadline only stops a broken run."""
    give_up = time.monotonic() + deadline
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


def stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> int:
    process.send_signal(how)
    return process.wait(timeout=60)
