"""The SQL idempotency store and the use case on top of it, on SQLite and on real Postgres."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text

from application.errors import IdempotencyInProgressError
from application.ports.idempotency import Claim, IdempotencyRecord, StoredResponse
from application.use_cases.run_idempotently import IdempotencyPolicy, RunIdempotently, RunIdempotentlyHandler
from infrastructure.persistence.database import Database
from infrastructure.persistence.idempotency import SqlIdempotencyStore, idempotency_keys
from infrastructure.persistence.metadata import metadata
from tests.fakes.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
OK = StoredResponse(201, (("content-type", "application/json"),), b'{"id": "\xc3\xa9"}\n')
LATER = timedelta(seconds=61)


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)  # migrated to head: the migration made the table
    yield database
    await database.dispose()


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(postgres_url, pool_size=20)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all, tables=[idempotency_keys])
        await connection.execute(text(f"TRUNCATE {idempotency_keys.name}"))
    yield database
    await database.dispose()


@pytest.fixture(params=["sqlite_db", "postgres_db"])
def store(request: pytest.FixtureRequest) -> SqlIdempotencyStore:
    return SqlIdempotencyStore(request.getfixturevalue(request.param))


TENANT = uuid4()


async def begin(store: SqlIdempotencyStore, clock: FakeClock, fingerprint: str = "f1", key: str = "k") -> object:
    now = clock.now()
    return await store.begin(TENANT, key, fingerprint, now, now - timedelta(seconds=60))


async def test_the_first_begin_claims_and_later_ones_see_it_in_progress(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    first = await begin(store, clock)
    second = await begin(store, clock)
    assert isinstance(first, Claim)
    assert second == IdempotencyRecord("f1", None)


async def test_a_completed_record_keeps_the_exact_response(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    claim = await begin(store, clock)
    assert isinstance(claim, Claim)
    assert await store.complete(claim, OK, clock.now())
    assert await begin(store, clock) == IdempotencyRecord("f1", OK)
    assert await begin(store, clock, fingerprint="f2") == IdempotencyRecord("f1", OK)


async def test_a_released_key_can_be_claimed_again(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    claim = await begin(store, clock)
    assert isinstance(claim, Claim)
    await store.release(claim)
    assert isinstance(await begin(store, clock, fingerprint="f2"), Claim)


async def test_of_many_concurrent_first_requests_exactly_one_claims(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    results = await asyncio.gather(*(begin(store, clock) for _ in range(50)))
    assert sum(isinstance(result, Claim) for result in results) == 1


async def test_an_abandoned_claim_is_taken_over_once(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    dead = await begin(store, clock)
    clock.advance(LATER.total_seconds())
    takers = await asyncio.gather(*(begin(store, clock) for _ in range(10)))
    [taker] = [result for result in takers if isinstance(result, Claim)]
    assert isinstance(dead, Claim)

    assert not await store.complete(dead, OK, clock.now())  # the dead owner's claim is void
    await store.release(dead)
    assert await store.complete(taker, OK, clock.now())
    assert await begin(store, clock) == IdempotencyRecord("f1", OK)


async def test_a_different_request_never_takes_over(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    await begin(store, clock)
    clock.advance(LATER.total_seconds())
    assert await begin(store, clock, fingerprint="f2") == IdempotencyRecord("f1", None)


async def test_purge_deletes_only_records_created_before(store: SqlIdempotencyStore) -> None:
    clock = FakeClock()
    await begin(store, clock, key="old")
    clock.advance(10)
    await begin(store, clock, key="new")
    assert await store.purge(clock.now()) == 1
    assert isinstance(await begin(store, clock, key="old"), Claim)
    assert not isinstance(await begin(store, clock, key="new"), Claim)


def run_handler(store: SqlIdempotencyStore, wait: float = 5.0) -> RunIdempotentlyHandler:
    return RunIdempotentlyHandler(store, FakeClock(), IdempotencyPolicy(wait_seconds=wait))


def command(tenant: UUID = TENANT) -> RunIdempotently:
    return RunIdempotently(tenant, "key", "POST", "/v1/holds", b'{"a": 1}')


async def test_a_repeat_waits_for_the_first_and_gets_its_response(store: SqlIdempotencyStore) -> None:
    run, release_first = run_handler(store), asyncio.Event()
    calls = 0

    async def action() -> StoredResponse:
        nonlocal calls
        calls += 1
        await release_first.wait()
        return OK

    first = asyncio.create_task(run(command(), action))
    await asyncio.sleep(0.05)
    repeat = asyncio.create_task(run(command(), action))
    await asyncio.sleep(0.1)
    release_first.set()

    assert [(r.response, r.replayed) for r in await asyncio.gather(first, repeat)] == [(OK, False), (OK, True)]
    assert calls == 1


async def test_a_repeat_gets_409_when_the_first_outlasts_the_wait(store: SqlIdempotencyStore) -> None:
    run, now = run_handler(store, wait=0.2), FakeClock().now()
    assert isinstance(await store.begin(TENANT, "key", command().fingerprint, now, now), Claim)

    with pytest.raises(IdempotencyInProgressError):
        await run(command(), _never)


@pytest.mark.parametrize("outcome", [StoredResponse(503, (), b"down"), StoredResponse(429, (), b""), RuntimeError()])
async def test_a_server_failure_releases_the_key(store: SqlIdempotencyStore, outcome: object) -> None:
    run = run_handler(store)

    async def action() -> StoredResponse:
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, StoredResponse)
        return outcome

    with pytest.raises(RuntimeError) if isinstance(outcome, Exception) else contextlib.nullcontext():
        await run(command(), action)
    retried = await run(command(), _ok)
    assert (retried.response, retried.replayed) == (OK, False)


async def _ok() -> StoredResponse:
    return OK


async def _never() -> StoredResponse:
    raise AssertionError("a repeat must not run while the first is in progress")


def test_the_cli_purges_expired_records(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOLDFAST_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    holdfast = [sys.executable, "-m", "interfaces.cli"]
    for step in (("migrate",), ("purge-idempotency",)):
        result = subprocess.run([*holdfast, *step], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
    assert "purged 0 idempotency records" in result.stdout
