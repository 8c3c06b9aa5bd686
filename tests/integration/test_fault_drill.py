"""The fault drill: the production profile as it is deployed (two ``holdfast serve`` processes,
one ``holdfast worker``, real Postgres, a real Redis with persistence, the fake payment gateway
in the system of record) under a storm of holds, bookings, payments, webhook deliveries,
refunds and cancellations, while the worker and an API are killed with SIGKILL, Redis is
stopped and started again, and then loses all of its data (see ``fault_drill.py``).

Once the deployment has settled (nothing pending, every hold expired or sold):

* ``holdfast reconcile inventory`` and ``holdfast reconcile payments`` find no drift. Redis
  came back empty once, and the documented repair for that is an API process starting: the
  drill restarts one and waits for readiness, and runs no ``--repair`` of its own;
* the ledger balances: debits equal credits in every currency;
* no booking a client was told of (201/200) is missing from Postgres;
* no pool is oversold, and its sold units are those of the bookings that own units, in
  Postgres and in the engine;
* no refund is paid twice: at the gateway every refund carries a distinct ``refund_id`` of a
  succeeded refund of ours, per booking they add up to no more than was captured and to what
  the booking and the ledger say was refunded, and one ``Idempotency-Key`` named one refund;
* no webhook event went dead, and no request was answered with a 5xx other than 503.

The storm is bounded by time and the faults come on a schedule, but no check depends on
timing: requests failing during a fault (503, no answer) are counted, never asserted on.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from application.use_cases.register_tenant import RegisterTenant
from infrastructure.clock import SystemClock
from infrastructure.container import build_container, close_container
from infrastructure.payments.fake import FakePaymentGateway
from infrastructure.persistence.database import Database
from infrastructure.settings import Settings
from tests.databases import migrated_postgres, truncate_all
from tests.e2e.conftest import _empty_redis
from tests.integration.fault_drill import Faults, Pool, Storm, Stripe, Tally, customer
from tests.integration.worker_stack import ROOT, TEST_WEBHOOK_SECRET, Child, stack_env
from tests.servers import RestartableServer

DATABASE = "holdfast_drill"
STORM_SECONDS = 25.0
CUSTOMERS = 10
SETTLE_SECONDS = 90.0  # only stops a broken run: the loop ends as soon as everything settled
SEED = 20261203
UNHANDLED = "status IN ('received', 'failed')"
LEASED = "(locked_until IS NOT NULL AND locked_until > now())"


@dataclass
class Deployment:
    settings: Settings
    env: dict[str, str]
    redis: RestartableServer
    apis: list[Child]
    worker: Child
    key: str
    clients: list[httpx.AsyncClient]


@pytest.fixture
async def deployment(
    postgres_url: str, restartable_redis: RestartableServer, tmp_path: Path
) -> AsyncIterator[Deployment]:
    database_url = migrated_postgres(postgres_url, DATABASE)
    await truncate_all(database_url)
    await _empty_redis(restartable_redis.url)
    settings = Settings(
        database_url=database_url,
        redis_url=restartable_redis.url,
        inventory_engine="redis",
        environment="production",
        jobs="saq",
        payments="fake",
        stripe_webhook_secret=TEST_WEBHOOK_SECRET,
    )
    env = stack_env(
        settings,
        HOLDFAST_PAYMENTS="fake",
        # A refund whose API was killed mid-call is asked again after 5 s, not after 5 minutes.
        HOLDFAST_REFUND_RETRY_AFTER_SECONDS="5",
        **{f"HOLDFAST_{name}_SECONDS": "1" for name in ("EXPIRY_SWEEP", "RELAY", "REFUND_RETRY", "WEBHOOK_RETRY")},
    )
    key = await _tenant_key(settings)
    apis = [Child("serve", env, tmp_path / f"api-{n}.log") for n in (1, 2)]
    worker = Child("worker", env, tmp_path / "worker.log")
    try:
        for child in (*apis, worker):
            child.start()
        async with (
            httpx.AsyncClient(base_url=apis[0].base, timeout=20) as one,
            httpx.AsyncClient(base_url=apis[1].base, timeout=20) as two,
        ):
            yield Deployment(settings, env, restartable_redis, apis, worker, key, [one, two])
    finally:
        for child in (*apis, worker):
            child.stop()
        restartable_redis.start()  # the module's Redis is left running, whatever happened


async def _tenant_key(settings: Settings) -> str:
    container = build_container(settings)
    try:
        return (await container.use_cases.register_tenant()(RegisterTenant("acme"))).api_key
    finally:
        await close_container(container)


async def test_nothing_is_lost_oversold_or_paid_twice_through_kills_and_redis_loss(deployment: Deployment) -> None:
    tally = Tally()
    storm = Storm(deployment.clients, deployment.key, await _catalogue(deployment), tally, random.Random(SEED))
    database = Database(deployment.settings.database_url, pool_size=2)
    storm.gateway = FakePaymentGateway(database, SystemClock(), TEST_WEBHOOK_SECRET)
    stripe = Stripe(storm.gateway, storm)
    faults = Faults(deployment.redis, deployment.apis, deployment.worker, tally)
    try:
        until, cap = time.monotonic() + STORM_SECONDS, time.monotonic() + 3 * STORM_SECONDS
        customers = (customer(storm, until, cap) for _ in range(CUSTOMERS))
        await asyncio.gather(faults.run(), stripe.run(until), *customers)
        leased = await _settle(deployment, stripe, storm.pools)
    finally:
        await database.dispose()
    print(_summary(tally), f"\nwebhook events left leased by a killed API: {leased}")  # with -s

    assert tally.exercised, _summary(tally)
    assert len(tally.faults) == 10, tally.faults
    assert _cli(deployment, "reconcile", "inventory") == 0
    assert _cli(deployment, "reconcile", "payments") == 0
    connection = await asyncpg.connect(_plain(deployment.settings.database_url))
    try:
        await _check_ledger_balances(connection)
        await _check_no_booking_lost(connection, tally)
        await _check_units(connection, storm, deployment)
        await _check_refunds(connection, deployment)
        assert await connection.fetch("SELECT event_id, last_error FROM webhook_events WHERE status = 'dead'") == []
    finally:
        await connection.close()
    assert {key: ids for key, ids in tally.refunds_by_key.items() if len(ids) != 1} == {}
    assert tally.server_errors == []  # a fault is a 503 (or no answer at all), never another 5xx


async def _catalogue(deployment: Deployment) -> list[Pool]:
    """Small pools to race for, a listing inside its late-cancellation window (half back), a
    big one, and a free one."""
    soon, later = datetime.now(UTC) + timedelta(hours=10), datetime.now(UTC) + timedelta(days=30)
    specs = [
        ("small", later, ((2, 1500), (2, 1500), (1, 1500))),
        ("late", soon, ((40, 2500),)),
        ("big", later, ((60, 4000),)),
        ("free", later, ((4, 0),)),
    ]
    pools: list[Pool] = []
    api = deployment.clients[0]
    headers = {"X-API-Key": deployment.key}
    for name, starts_at, shape in specs:
        body = {"kind": "event_show", "name": name, "starts_at": starts_at.isoformat()}
        listing = await api.post("/v1/listings", json=body, headers=headers)
        assert listing.status_code == 201, listing.text
        for n, (capacity, price) in enumerate(shape):
            pool_body = {"code": f"p{n}", "capacity": capacity, "unit_price": price, "currency": "EUR"}
            made = await api.post(f"/v1/listings/{listing.json()['id']}/pools", json=pool_body, headers=headers)
            assert made.status_code == 201, made.text
            pools.append(Pool(listing.json()["id"], made.json()["id"], price))
    return pools


async def _settle(deployment: Deployment, stripe: Stripe, pools: list[Pool]) -> int:
    """Until nothing is left to do: no checkout open, no refund unsettled, no event unhandled
    or unpublished, every hold gone. Stripe keeps delivering what it has meanwhile. Returns
    how many webhook events wait for the lease of an API killed while handling them."""
    give_up = time.monotonic() + SETTLE_SECONDS
    connection = await asyncpg.connect(_plain(deployment.settings.database_url))
    try:
        while True:
            await stripe.deliver_round()
            waiting = await _pending_work(connection) + await _held(deployment, pools)
            if not waiting and not stripe.undelivered:
                leased: int = await connection.fetchval(f"SELECT count(*) FROM webhook_events WHERE {LEASED}")
                return leased
            if time.monotonic() > give_up:
                jobs = _cli_output(deployment, "jobs", "status")
                details = await _details(connection)
                pytest.fail(f"not settled after {SETTLE_SECONDS:.0f} s: {waiting}; jobs: {jobs}\n{details}")
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def _pending_work(connection: asyncpg.Connection) -> list[str]:
    """What is still to be done. A webhook event leased by an API that was killed while handling
    it waits for its lease to lapse (``LEASE_SECONDS``); it is a hint the booking no longer needs
    by then (the expiry asks the gateway itself), so it is counted apart, not waited for."""
    checks = {
        "open checkouts": "SELECT count(*) FROM bookings WHERE status IN ('pending_payment', 'payment_failed')",
        "unsettled refunds": "SELECT count(*) FROM refunds WHERE status IN ('requested', 'pending')",
        "unhandled webhooks": f"SELECT count(*) FROM webhook_events WHERE {UNHANDLED} AND NOT {LEASED}",
        "unpublished events": "SELECT count(*) FROM outbox WHERE published_at IS NULL",
    }
    found = {what: await connection.fetchval(sql) for what, sql in checks.items()}
    return [f"{count} {what}" for what, count in found.items() if count]


async def _details(connection: asyncpg.Connection) -> str:
    queries = [
        "SELECT id, status, payment_status, payment_intent_id, payment_due_at FROM bookings"
        " WHERE status IN ('pending_payment', 'payment_failed') LIMIT 5",
        "SELECT id, booking_id, status, amount FROM refunds WHERE status IN ('requested', 'pending') LIMIT 5",
        f"SELECT event_id, event_type, status, attempts, last_error, next_attempt_at, locked_until, now() AS now"
        f" FROM webhook_events WHERE {UNHANDLED} OR status = 'dead' LIMIT 10",
    ]
    rows = [row for sql in queries for row in await connection.fetch(sql)]
    return "\n".join(str(dict(row)) for row in rows)


async def _held(deployment: Deployment, pools: list[Pool]) -> list[str]:
    held = []
    for listing_id in sorted({pool.listing_id for pool in pools}):
        try:
            answer = await deployment.clients[0].get(
                f"/v1/listings/{listing_id}/availability", headers={"X-API-Key": deployment.key}
            )
        except httpx.TransportError as exc:
            return [f"availability unanswered: {exc!r}"]
        if answer.status_code != 200:
            return [f"availability {answer.status_code}: {answer.text[:200]}"]
        held += [f"{p['held']} held in {p['pool_id']}" for p in answer.json()["pools"] if p["held"]]
    return held


def _run_cli(deployment: Deployment, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *command],
        cwd=ROOT,
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _cli(deployment: Deployment, *command: str) -> int:
    result = _run_cli(deployment, *command)
    print(f"$ holdfast {' '.join(command)} -> {result.returncode}\n{result.stdout}{result.stderr[-2000:]}")
    return result.returncode


def _cli_output(deployment: Deployment, *command: str) -> str:
    result = _run_cli(deployment, *command)
    return (result.stdout + result.stderr).strip()


async def _check_ledger_balances(connection: asyncpg.Connection) -> None:
    rows = await connection.fetch(
        "SELECT currency, side, sum(amount) AS total FROM ledger_entries GROUP BY currency, side"
    )
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"debit": 0, "credit": 0})
    for row in rows:
        totals[row["currency"]][row["side"]] = int(row["total"])
    assert totals, "the storm posted nothing to the ledger"
    assert {currency: t["debit"] - t["credit"] for currency, t in totals.items()} == dict.fromkeys(totals, 0)


async def _check_no_booking_lost(connection: asyncpg.Connection, tally: Tally) -> None:
    stored = {str(row["id"]) for row in await connection.fetch("SELECT id FROM bookings")}
    assert tally.bookings - stored == set()


async def _check_units(connection: asyncpg.Connection, storm: Storm, deployment: Deployment) -> None:
    """Per pool: sold within capacity, sold = units of the bookings that own units (confirmed
    ones; a cancelled booking gave its units back, an expired one never had them), and the
    engine counts the same, with nothing held."""
    owned: dict[str, int] = defaultdict(int)
    for row in await connection.fetch("SELECT lines FROM bookings WHERE status = 'confirmed'"):
        for line in _json(row["lines"]):
            owned[line["pool_id"]] += int(line["quantity"])
    recorded = {str(row["id"]): (row["capacity"], row["sold"]) for row in await connection.fetch("SELECT * FROM pools")}
    assert {pool: sold for pool, (_, sold) in recorded.items()} == {p: owned.get(p, 0) for p in recorded}
    assert all(sold <= capacity for capacity, sold in recorded.values()), recorded
    counted = {}
    for listing_id in {pool.listing_id for pool in storm.pools}:
        answer = await deployment.clients[1].get(
            f"/v1/listings/{listing_id}/availability", headers={"X-API-Key": deployment.key}
        )
        assert answer.status_code == 200, answer.text
        counted |= {p["pool_id"]: (p["capacity"], p["held"], p["sold"]) for p in answer.json()["pools"]}
    assert counted == {pool: (capacity, 0, sold) for pool, (capacity, sold) in recorded.items()}


async def _check_refunds(connection: asyncpg.Connection, deployment: Deployment) -> None:
    """What the gateway paid back, per booking, against our refunds, the booking and the ledger."""
    paid_back: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in await connection.fetch("SELECT intent_id, amount, metadata FROM fake_payment_refunds"):
        paid_back[row["intent_id"]].append((_json(row["metadata"]).get("refund_id"), int(row["amount"])))
    ours = {
        str(row["id"]): (str(row["booking_id"]), int(row["amount"]))
        for row in await connection.fetch("SELECT id, booking_id, amount FROM refunds WHERE status = 'succeeded'")
    }
    bookings = await connection.fetch(
        "SELECT b.id, b.payment_intent_id, b.amount_captured, b.amount_refunded, c.amount AS charged"
        " FROM bookings b JOIN fake_payment_intents i ON i.id = b.payment_intent_id"
        " LEFT JOIN fake_payment_charges c ON c.id = i.latest_charge AND c.succeeded"
    )
    assert bookings, "no booking was ever checked out"
    for booking in bookings:
        booking_id, refunds = str(booking["id"]), paid_back.pop(booking["payment_intent_id"], [])
        refund_ids = [refund_id for refund_id, _ in refunds]
        assert len(set(refund_ids)) == len(refund_ids), (booking_id, refunds)  # no refund paid twice
        assert all(ours.get(refund_id) == (booking_id, amount) for refund_id, amount in refunds), (booking_id, refunds)
        total = sum(amount for _, amount in refunds)
        assert total <= int(booking["charged"] or 0) == booking["amount_captured"], dict(booking)
        assert total == booking["amount_refunded"], dict(booking)
        assert total == sum(amount for b, amount in ours.values() if b == booking_id), booking_id
        assert total == await _ledger_refunded(deployment, booking_id), booking_id
    assert paid_back == {}  # nothing paid back for an intent no booking knows


async def _ledger_refunded(deployment: Deployment, booking_id: str) -> int:
    answer = await deployment.clients[0].get(f"/v1/ledger/bookings/{booking_id}", headers={"X-API-Key": deployment.key})
    assert answer.status_code == 200, answer.text
    return sum(int(totals["refunded"]) for totals in answer.json()["totals"])


def _summary(tally: Tally) -> str:
    outcomes = "\n".join(f"  {what}: {count}" for what, count in sorted(tally.outcomes.items()))
    faults = "\n".join(f"  {fault}" for fault in tally.faults)
    errors = "\n".join(f"  {error}" for error in tally.server_errors)
    return f"faults:\n{faults}\noutcomes:\n{outcomes}\nbookings told: {len(tally.bookings)}\n5xx but 503:\n{errors}"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
