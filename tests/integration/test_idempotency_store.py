"""The idempotency stores and the use case on top of them: SQL on SQLite and on real Postgres, and Redis."""

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
from redis.asyncio import Redis
from sqlalchemy import text

from application.errors import IdempotencyInProgressError
from application.ports.idempotency import Claim, IdempotencyRecord, IdempotencyStore, StoredResponse
from application.use_cases.run_idempotently import IdempotencyPolicy, RunIdempotently, RunIdempotentlyHandler
from infrastructure.idempotency_redis import RedisIdempotencyStore
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


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisIdempotencyStore]:
    """Under a key prefix of its own, deleted afterwards: other suites share the server."""
    client, prefix = Redis.from_url(redis_url), f"hf-test-{uuid4().hex}"
    yield RedisIdempotencyStore(client, timedelta(hours=24), prefix=prefix)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["sqlite_db", "postgres_db", "redis_store"])
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    if request.param == "redis_store":
        redis_store: RedisIdempotencyStore = request.getfixturevalue(request.param)
        return redis_store
    return SqlIdempotencyStore(request.getfixturevalue(request.param))


TENANT = uuid4()


async def begin(store: IdempotencyStore, clock: FakeClock, fingerprint: str = "f1", key: str = "k") -> object:
    now = clock.now()
    return await store.begin(TENANT, key, fingerprint, now, now - timedelta(seconds=60))


async def test_the_first_begin_claims_and_later_ones_see_it_in_progress(store: IdempotencyStore) -> None:
    clock = FakeClock()
    first = await begin(store, clock)
    second = await begin(store, clock)
    assert isinstance(first, Claim)
    assert second == IdempotencyRecord("f1", None)


async def test_a_completed_record_keeps_the_exact_response(store: IdempotencyStore) -> None:
    clock = FakeClock()
    claim = await begin(store, clock)
    assert isinstance(claim, Claim)
    assert await store.complete(claim, OK, clock.now())
    assert await begin(store, clock) == IdempotencyRecord("f1", OK)
    assert await begin(store, clock, fingerprint="f2") == IdempotencyRecord("f1", OK)


async def test_a_released_key_can_be_claimed_again(store: IdempotencyStore) -> None:
    clock = FakeClock()
    claim = await begin(store, clock)
    assert isinstance(claim, Claim)
    await store.release(claim)
    assert isinstance(await begin(store, clock, fingerprint="f2"), Claim)


async def test_of_many_concurrent_first_requests_exactly_one_claims(store: IdempotencyStore) -> None:
    clock = FakeClock()
    results = await asyncio.gather(*(begin(store, clock) for _ in range(50)))
    assert sum(isinstance(result, Claim) for result in results) == 1


async def test_an_abandoned_claim_is_taken_over_once(store: IdempotencyStore) -> None:
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


async def test_a_different_request_never_takes_over(store: IdempotencyStore) -> None:
    clock = FakeClock()
    await begin(store, clock)
    clock.advance(LATER.total_seconds())
    assert await begin(store, clock, fingerprint="f2") == IdempotencyRecord("f1", None)


async def test_purge_deletes_only_records_created_before(store: IdempotencyStore) -> None:
    clock = FakeClock()
    await begin(store, clock, key="old")
    clock.advance(10)
    await begin(store, clock, key="new")
    assert await store.purge(clock.now()) == 1
    assert isinstance(await begin(store, clock, key="old"), Claim)
    assert not isinstance(await begin(store, clock, key="new"), Claim)


def run_handler(store: IdempotencyStore, wait: float = 5.0) -> RunIdempotentlyHandler:
    return RunIdempotentlyHandler(store, FakeClock(), IdempotencyPolicy(wait_seconds=wait))


def command(tenant: UUID = TENANT) -> RunIdempotently:
    return RunIdempotently(tenant, "key", "POST", "/v1/holds", b'{"a": 1}')


async def test_a_repeat_waits_for_the_first_and_gets_its_response(store: IdempotencyStore) -> None:
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


async def test_a_repeat_gets_409_when_the_first_outlasts_the_wait(store: IdempotencyStore) -> None:
    run, now = run_handler(store, wait=0.2), FakeClock().now()
    assert isinstance(await store.begin(TENANT, "key", command().fingerprint, now, now), Claim)

    with pytest.raises(IdempotencyInProgressError):
        await run(command(), _never)


@pytest.mark.parametrize("outcome", [StoredResponse(503, (), b"down"), StoredResponse(429, (), b""), RuntimeError()])
async def test_a_server_failure_releases_the_key(store: IdempotencyStore, outcome: object) -> None:
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


async def test_a_response_that_is_not_text_is_kept_byte_for_byte(store: IdempotencyStore) -> None:
    clock, binary = FakeClock(), StoredResponse(200, (("content-type", "application/octet-stream"),), b"\xff\x00\x80")
    claim = await begin(store, clock)
    assert isinstance(claim, Claim)
    assert await store.complete(claim, binary, clock.now())
    assert await begin(store, clock) == IdempotencyRecord("f1", binary)


async def test_redis_records_expire_no_sooner_than_the_ttl(redis_url: str) -> None:
    """Purging is by the caller's clock; Redis's own expiry is the backstop should none run."""
    client, prefix, clock = Redis.from_url(redis_url), f"hf-test-{uuid4().hex}", FakeClock()
    store = RedisIdempotencyStore(client, timedelta(hours=24), prefix=prefix)
    try:
        claim = await begin(store, clock, key="any\tkey \u00e9")  # hashed, so any key is safe
        assert isinstance(claim, Claim)
        assert await store.complete(claim, OK, clock.now())
        [record] = [key async for key in client.scan_iter(match=f"{prefix}:idem:{{{TENANT}}}:*")]
        assert 24 * 3600 * 1000 - 60_000 < await client.pttl(record) <= 24 * 3600 * 1000
    finally:
        await client.delete(*[key async for key in client.scan_iter(match=f"{prefix}:*")])
        await client.aclose()
