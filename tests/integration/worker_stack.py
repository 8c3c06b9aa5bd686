"""The production profile around real ``holdfast worker`` processes: an API app in the test's
event loop and workers as child processes, sharing a Postgres database and a Redis database.

Worker processes use the real clock; the app uses a ``FakeClock`` the test may set back in
time, so that what it creates (holds) is already due when the workers look.
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

ROOT = Path(__file__).resolve().parents[2]
WORKER_DATABASE = "holdfast_workers"
WORKER_REDIS_DB = 6


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
        log = open(self.log_dir / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115 (the child owns it)
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", "worker"],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(process)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return (self.log_dir / f"worker-{self.workers.index(process)}.log").read_text(errors="replace")


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
            "HOLDFAST_WORKER_CONCURRENCY": "4",
            "HOLDFAST_WEBHOOK_PRIVATE_TARGETS": "allow",  # the tests' receivers listen on loopback
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
        expiry_sweep_seconds=0,
        webhook_retry_seconds=0,
        db_pool_size=5,
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
