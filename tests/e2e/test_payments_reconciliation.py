"""Refund retries and payments reconciliation on both profiles (SQLite, and Postgres with Redis).

A cancellation's refund lost to a provider outage is made later, once, by racing retries; then
the reconciler finds the books in agreement with the gateway, and finds drift when there is some.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from dependency_injector import providers

from domain.reconciliation import Finding, ReconciliationScope
from tests.e2e.conftest import World
from tests.e2e.helpers import book, deliver, hold, make_listing
from tests.fakes.payments import FlakyGateway

PRICE = 2000


async def _paid(world: World, listing_id: str, pool_id: str) -> dict[str, Any]:
    hold_id = (await hold(world.api, listing_id, {pool_id: 1})).json()["id"]
    booking = await book(world, hold_id)
    assert booking["status"] == "confirmed", booking
    return booking


async def _reconcile(world: World, listing_id: str) -> tuple[list[Finding], list[tuple[int, int | None]]]:
    seen: list[tuple[int, int | None]] = []

    async def progress(checked: int, total: int | None) -> None:
        seen.append((checked, total))

    reconciler = world.container.use_cases.reconcile_payments()
    return await reconciler(ReconciliationScope(listing_id=UUID(listing_id)), progress), seen


async def test_a_refund_lost_to_an_outage_is_made_once_and_the_books_then_agree(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, PRICE),))
    cancelled = await _paid(world, listing_id, pools["a"])
    fake = world.container.gateways.payments()
    flaky = FlakyGateway(fake)
    world.container.gateways.payments.override(providers.Object(flaky))
    flaky.down.add("refund")

    answered = await world.api.post(f"/v1/bookings/{cancelled['id']}/cancel")
    owed = (await world.api.get(f"/v1/bookings/{cancelled['id']}")).json()
    flaky.down.clear()
    world.clock.advance(301)
    retry = world.container.use_cases.retry_refunds
    settled = await asyncio.gather(retry()(), retry()())
    refunded = (await world.api.get(f"/v1/bookings/{cancelled['id']}")).json()
    totals = (await world.api.get(f"/v1/ledger/bookings/{cancelled['id']}")).json()["totals"]
    findings, progress = await _reconcile(world, listing_id)

    assert answered.status_code == 200, answered.text  # cancelled; the refund waits for the job
    assert (owed["status"], owed["payment"]["refunded"]) == ("cancelled", 0)
    assert sorted(settled) == [0, 1]
    assert [r.amount for r in await fake.list_refunds(cancelled["payment"]["intent_id"])] == [PRICE]
    assert (refunded["status"], refunded["payment_status"], refunded["payment"]["refunded"]) == (
        "cancelled",
        "refunded",
        PRICE,
    )
    assert [(t["captured"], t["refunded"]) for t in totals] == [(PRICE, PRICE)]
    assert (findings, progress) == ([], [(0, 1), (1, 1)])


async def test_a_refund_made_only_at_the_gateway_is_reported_until_its_webhook_arrives(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, PRICE),))
    booking = await _paid(world, listing_id, pools["a"])
    await _paid(world, listing_id, pools["a"])
    fake = world.container.gateways.payments()
    made = await fake.refund(booking["payment"]["intent_id"], amount=500, metadata={}, idempotency_key="dashboard")

    findings, progress = await _reconcile(world, listing_id)
    await deliver(world, await fake.take_webhooks())
    settled, _ = await _reconcile(world, listing_id)

    assert {(f.subject, f.field, f.expected, f.actual, f.difference) for f in findings} == {
        (f"booking:{booking['id']}", f"refunds[{made.id}].amount", 0, 500, -500),
        (f"booking:{booking['id']}", "refunded", 0, 500, -500),
        (f"booking:{booking['id']}", "ledger.refunded", 0, 500, -500),
    }
    assert progress[-1] == (2, 2)
    assert settled == []
