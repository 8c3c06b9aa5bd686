"""Fake payments across real processes: two ``holdfast serve`` on one Postgres database with
``HOLDFAST_PAYMENTS=fake``, as the local stack and docker-compose run them. A checkout made on
one API is paid, cancelled (and refunded) or expired on the other, and the fake's webhooks are
accepted by whichever API they reach."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from application.use_cases.register_tenant import RegisterTenant
from domain.errors import RefundExceedsCapturedError
from infrastructure.clock import SystemClock
from infrastructure.container import build_container, close_container
from infrastructure.payments.fake import FakePaymentGateway
from infrastructure.persistence.database import Database
from infrastructure.settings import Settings
from tests.databases import migrated_postgres, truncate_all
from tests.integration.worker_stack import eventually, serve, stack_env

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "holdfast_fake_processes"
PRICE = 2500


@dataclass
class Deployment:
    one: httpx.AsyncClient  # API 1
    two: httpx.AsyncClient  # API 2: it also runs the expiry sweep, every second
    settings: Settings


@pytest.fixture
def processes_settings(postgres_url: str) -> Settings:
    return Settings(database_url=migrated_postgres(postgres_url, DATABASE), payments="fake")


@pytest.fixture
def servers(processes_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = stack_env(
        processes_settings,
        HOLDFAST_ENV="development",
        HOLDFAST_PAYMENTS="fake",
        HOLDFAST_JOBS="in-process",  # each API runs the jobs; only API 2's expiry sweep is on
    )
    del env["HOLDFAST_REDIS_URL"]
    started: list[subprocess.Popen[bytes]] = []
    try:
        one, base_one = serve(env, tmp_path / "api-1.log")
        started.append(one)
        two, base_two = serve({**env, "HOLDFAST_EXPIRY_SWEEP_SECONDS": "1"}, tmp_path / "api-2.log")
        started.append(two)
        yield base_one, base_two
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
async def deployment(processes_settings: Settings, servers: tuple[str, str]) -> AsyncIterator[Deployment]:
    await truncate_all(processes_settings.database_url)
    container = build_container(processes_settings)
    try:
        key = (await container.use_cases.register_tenant()(RegisterTenant("acme"))).api_key
    finally:
        await close_container(container)
    headers = {"X-API-Key": key}
    async with (
        httpx.AsyncClient(base_url=servers[0], headers=headers, timeout=30) as one,
        httpx.AsyncClient(base_url=servers[1], headers=headers, timeout=30) as two,
    ):
        yield Deployment(one, two, processes_settings)


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _checkout(api: httpx.AsyncClient, pool: tuple[str, str], **hold: Any) -> dict[str, Any]:
    listing_id, pool_id = pool
    lines = [{"pool_id": pool_id, "quantity": 1}]
    body = {"listing_id": listing_id, "customer_ref": "ann", "lines": lines, **hold}
    held = await _ok(await api.post("/v1/holds", json=body), 201)
    booking: dict[str, Any] = await _ok(await api.post("/v1/bookings", json={"hold_id": held["id"]}), 201)
    assert booking["status"] == "pending_payment"
    return booking


async def _pool(api: httpx.AsyncClient) -> tuple[str, str]:
    listing = await _ok(await api.post("/v1/listings", json={"kind": "event_show", "name": "Show"}), 201)
    pool_body = {"code": "a", "capacity": 5, "unit_price": PRICE, "currency": "EUR"}
    pool = await _ok(await api.post(f"/v1/listings/{listing['id']}/pools", json=pool_body), 201)
    return listing["id"], pool["id"]


async def test_checked_out_on_one_api_paid_and_cancelled_with_its_refund_on_the_other(
    deployment: Deployment,
) -> None:
    booking = await _checkout(deployment.one, await _pool(deployment.one))

    paid = await _ok(await deployment.two.post(f"/v1/dev/bookings/{booking['id']}/pay"))
    assert (paid["status"], paid["payment"]["captured"]) == ("confirmed", PRICE)

    cancelled = await _ok(await deployment.two.post(f"/v1/bookings/{booking['id']}/cancel"))
    assert (cancelled["status"], cancelled["payment_status"], cancelled["payment"]["refunded"]) == (
        "cancelled",
        "refunded",
        PRICE,
    )
    seen_on_one = await _ok(await deployment.one.get(f"/v1/bookings/{booking['id']}"))
    assert (seen_on_one["status"], seen_on_one["payment"]["refunded"]) == ("cancelled", PRICE)
    database = Database(deployment.settings.database_url, pool_size=1)
    try:  # the fake's account, as a third process sees it
        fake = FakePaymentGateway(database, SystemClock())
        assert [r.amount for r in await fake.list_refunds(booking["payment"]["intent_id"])] == [PRICE]
        webhooks = await fake.take_webhooks()
    finally:
        await database.dispose()

    assert [w.event["type"] for w in webhooks] == ["charge.refunded"]  # queued by API 2's refund
    for webhook in webhooks:  # Stripe's delivery reaches API 1: accepted, and counted once
        await _ok(await deployment.one.post("/v1/webhooks/stripe", content=webhook.payload, headers=webhook.headers))
    again = await _ok(await deployment.one.get(f"/v1/bookings/{booking['id']}"))
    assert (again["status"], again["payment"]["refunded"]) == ("cancelled", PRICE)


async def test_an_unpaid_booking_made_on_one_api_is_expired_by_the_other(deployment: Deployment) -> None:
    booking = await _checkout(deployment.one, await _pool(deployment.one), ttl_seconds=1)

    async def expired() -> bool:
        seen = await _ok(await deployment.one.get(f"/v1/bookings/{booking['id']}"))
        return bool(seen["status"] == "expired")

    await eventually(expired, "API 2's expiry sweep to expire the booking made on API 1")
    declined = await deployment.one.post(f"/v1/dev/bookings/{booking['id']}/pay")
    assert declined.status_code == 409, declined.text  # its intent was cancelled: nothing to pay


async def test_two_gateways_over_one_database_answer_one_key_with_one_object(processes_settings: Settings) -> None:
    databases = [Database(processes_settings.database_url, pool_size=4) for _ in range(2)]
    fakes = [FakePaymentGateway(database, SystemClock()) for database in databases]
    key = f"checkout:{uuid4()}"
    try:
        created = await asyncio.gather(
            *(fake.create_intent(amount=PRICE, currency="eur", metadata={}, idempotency_key=key) for fake in fakes * 3)
        )
        assert len({intent.id for intent in created}) == 1
        intent_id = created[0].id
        await fakes[0].pay(intent_id)
        asked = [(fake, f"refund:{n}") for n, fake in enumerate(fakes * 3)]
        answers = await asyncio.gather(
            *(fake.refund(intent_id, amount=1000, metadata={}, idempotency_key=k) for fake, k in asked),
            return_exceptions=True,
        )
        made = [answer for answer in answers if not isinstance(answer, BaseException)]
        assert len(made) == 2  # 2 x 1000 of 2500; the others are refused
        assert all(isinstance(a, RefundExceedsCapturedError) for a in answers if isinstance(a, BaseException))
        assert sorted(r.id for r in await fakes[1].list_refunds(intent_id)) == sorted(r.id for r in made)
    finally:
        for database in databases:
            await database.dispose()
