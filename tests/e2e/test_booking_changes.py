"""Changing a booking (issue 12): an atomic swap, its price difference, and its ledger, on both profiles."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from domain.reconciliation import ReconciliationScope
from infrastructure.persistence.webhook_tables import webhook_events
from tests.e2e.conftest import World
from tests.e2e.helpers import availability, book, deliver, hold, make_listing

SEATS = (("12a", 1, 10_000), ("12b", 1, 10_000), ("1a", 1, 25_000), ("30c", 1, 4_000))


async def _booked(world: World, seat: str = "12a") -> tuple[str, dict[str, str], dict[str, Any]]:
    listing_id, pools = await make_listing(world.api, SEATS, kind="flight", name="HF 12")
    booking = await book(world, (await hold(world.api, listing_id, {pools[seat]: 1})).json()["id"])
    assert booking["status"] == "confirmed"
    return listing_id, pools, booking


async def _change(world: World, booking_id: str, lines: dict[str, int], **extra: Any) -> Any:
    body = {"lines": [{"pool_id": pool, "quantity": qty} for pool, qty in lines.items()], **extra}
    return await world.api.post(f"/v1/bookings/{booking_id}/changes", body)


async def _ledger_agrees(world: World, booking_id: str) -> dict[str, Any]:
    """The booking's money equals its ledger's, and the tenant's books balance with nothing in flight."""
    booking = (await world.api.get(f"/v1/bookings/{booking_id}")).json()
    view = (await world.api.get(f"/v1/ledger/bookings/{booking_id}")).json()
    (totals,) = view["totals"]
    assert (booking["payment"]["captured"], booking["payment"]["refunded"]) == (totals["captured"], totals["refunded"])
    accounts = (await world.api.get("/v1/ledger/accounts")).json()["accounts"]
    assert sum(a["debits"] for a in accounts) == sum(a["credits"] for a in accounts)
    assert {a["account"]: a["balance"] for a in accounts}["payments_in_flight"] == 0
    return booking


async def test_a_change_at_the_same_price_swaps_at_once(world: World) -> None:
    listing_id, pools, booking = await _booked(world)

    response = await _change(world, booking["id"], {pools["12b"]: 1})

    assert response.status_code == 201, response.text
    change = response.json()["change"]
    assert (change["state"], change["difference"], change["intent_id"]) == ("swapped", 0, None)
    seats = await availability(world.api, listing_id)
    assert (seats["12a"], seats["12b"]) == ((0, 0, 1), (0, 1, 0))
    shown = await _ledger_agrees(world, booking["id"])
    assert [line["pool_id"] for line in shown["lines"]] == [pools["12b"]]
    assert shown["hold_id"] != booking["hold_id"]
    assert [(c["id"], c["state"]) for c in shown["changes"]] == [(change["id"], "swapped")]
    assert shown["status"] == "confirmed"


async def test_a_higher_total_is_paid_before_the_swap(world: World) -> None:
    listing_id, pools, booking = await _booked(world)

    response = await _change(world, booking["id"], {pools["1a"]: 1})
    change = response.json()["change"]

    assert response.status_code == 201, response.text
    assert (change["state"], change["difference"]) == ("awaiting_payment", 15_000)
    seats = await availability(world.api, listing_id)
    assert (seats["12a"], seats["1a"]) == ((0, 1, 0), (1, 0, 0))  # both, only while the change waits
    await deliver(world, await world.container.gateways.payments().pay(change["intent_id"]))
    seats = await availability(world.api, listing_id)
    assert (seats["12a"], seats["1a"]) == ((0, 0, 1), (0, 1, 0))
    shown = await _ledger_agrees(world, booking["id"])
    assert (shown["total"]["amount"], shown["payment"]["captured"]) == (25_000, 25_000)
    assert [(c["id"], c["state"]) for c in shown["changes"]] == [(change["id"], "swapped")]


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)  # dev routes: the embedded default only
async def test_the_dev_route_pays_a_changes_difference(world: World) -> None:
    _, pools, booking = await _booked(world)
    change = (await _change(world, booking["id"], {pools["1a"]: 1})).json()["change"]

    paid = await world.api.post(f"/v1/dev/bookings/{booking['id']}/changes/{change['id']}/pay")

    assert paid.status_code == 200, paid.text
    assert [(c["id"], c["state"]) for c in paid.json()["changes"]] == [(change["id"], "swapped")]
    await _ledger_agrees(world, booking["id"])


async def test_an_unpaid_difference_expires_and_leaves_the_booking_as_it_was(world: World) -> None:
    listing_id, pools, booking = await _booked(world)
    change = (await _change(world, booking["id"], {pools["1a"]: 1})).json()["change"]

    world.clock.advance(3600)
    await world.container.use_cases.expire_holds()()
    ended = await world.container.use_cases.resume_booking_changes()()

    assert [c.state.value for c in ended] == ["failed"]
    seats = await availability(world.api, listing_id)
    assert (seats["12a"], seats["1a"]) == ((0, 1, 0), (0, 0, 1))
    shown = await _ledger_agrees(world, booking["id"])
    assert (shown["total"]["amount"], shown["hold_id"]) == (10_000, booking["hold_id"])
    assert [(c["id"], c["state"]) for c in shown["changes"]] == [(change["id"], "failed")]
    intent = await world.container.gateways.payments().retrieve_intent(change["intent_id"])
    assert intent.status.value == "canceled"


async def test_a_lower_total_is_refunded_once_even_when_the_request_is_retried(world: World) -> None:
    _, pools, booking = await _booked(world)
    body = {"lines": [{"pool_id": pools["30c"], "quantity": 1}]}
    keyed = {"Idempotency-Key": "change-1"}

    first = await world.api.post(f"/v1/bookings/{booking['id']}/changes", body, headers=keyed)
    replayed = await world.api.post(f"/v1/bookings/{booking['id']}/changes", body, headers=keyed)
    unkeyed = await world.api.post(f"/v1/bookings/{booking['id']}/changes", body)

    assert first.status_code == 201, first.text
    assert (replayed.status_code, replayed.content) == (201, first.content)
    assert (unkeyed.status_code, unkeyed.json()["change"]["id"]) == (200, first.json()["change"]["id"])
    change = first.json()["change"]
    assert (change["state"], change["difference"]) == ("swapped", -6_000)
    refunds = await world.container.gateways.payments().list_refunds(booking["payment"]["intent_id"])
    assert [r.amount for r in refunds] == [6_000]
    shown = await _ledger_agrees(world, booking["id"])
    assert (shown["payment"]["captured"], shown["payment"]["refunded"]) == (10_000, 6_000)
    assert shown["payment_status"] == "partially_refunded"


async def test_a_sold_out_target_leaves_the_booking_untouched(world: World) -> None:
    listing_id, pools, booking = await _booked(world)
    await book(world, (await hold(world.api, listing_id, {pools["12b"]: 1}, customer="cust-2")).json()["id"])

    response = await _change(world, booking["id"], {pools["12b"]: 1})

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_inventory"
    seats = await availability(world.api, listing_id)
    assert (seats["12a"], seats["12b"]) == ((0, 1, 0), (0, 1, 0))
    shown = await _ledger_agrees(world, booking["id"])
    assert shown["hold_id"] == booking["hold_id"]
    assert "changes" not in shown  # no change was recorded


async def test_a_change_of_flight_moves_to_another_listing(world: World) -> None:
    _, _, booking = await _booked(world)
    other_id, other = await make_listing(world.api, (("7c", 1, 10_000),), kind="flight", name="HF 14")

    response = await _change(world, booking["id"], {other["7c"]: 1}, listing_id=other_id)

    assert response.status_code == 201, response.text
    assert response.json()["booking"]["listing_id"] == other_id
    assert (await availability(world.api, other_id))["7c"] == (0, 1, 0)


async def test_only_a_confirmed_booking_can_be_changed(world: World) -> None:
    listing_id, pools, booking = await _booked(world)
    assert (await world.api.post(f"/v1/bookings/{booking['id']}/cancel")).status_code == 200

    response = await _change(world, booking["id"], {pools["12b"]: 1})

    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_changeable"
    assert (await availability(world.api, listing_id))["12b"] == (0, 0, 1)


async def test_another_tenants_booking_cannot_be_changed(world: World) -> None:
    _, pools, booking = await _booked(world)
    body = {"lines": [{"pool_id": pools["12b"], "quantity": 1}]}

    response = await world.other.post(f"/v1/bookings/{booking['id']}/changes", body)

    assert response.status_code == 404


@pytest.mark.parametrize("settings", ["production"], indirect=True)  # concurrency claims need Postgres
async def test_concurrent_changes_race_for_the_last_unit_and_exactly_one_wins(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 4, 1000), ("last", 1, 1000)))
    bookings = [
        await book(world, (await hold(world.api, listing_id, {pools["a"]: 1}, customer=f"c{n}")).json()["id"])
        for n in range(4)
    ]

    answers = await asyncio.gather(*(_change(world, b["id"], {pools["last"]: 1}) for b in bookings))

    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"insufficient_inventory"}
    seats = await availability(world.api, listing_id)
    assert (seats["a"], seats["last"]) == ((0, 3, 1), (0, 1, 0))
    for b in bookings:
        await _ledger_agrees(world, b["id"])


async def test_the_customer_limit_does_not_count_the_units_a_change_gives_back(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000), ("b", 5, 1000)), per_customer_limit=2)
    booking = await book(world, (await hold(world.api, listing_id, {pools["a"]: 2})).json()["id"])

    moved = await _change(world, booking["id"], {pools["b"]: 2})  # at the limit: its own 2 go back
    beyond = await _change(world, booking["id"], {pools["a"]: 3})  # 3 after the swap: over it

    assert moved.status_code == 201, moved.text
    assert beyond.status_code == 409
    assert beyond.json()["code"] == "customer_limit_exceeded"
    seats = await availability(world.api, listing_id)
    assert (seats["a"], seats["b"]) == ((0, 0, 5), (0, 2, 3))


async def test_payments_reconciliation_finds_no_drift_in_changed_bookings(world: World) -> None:
    listing_id, pools, up = await _booked(world)
    down = await book(world, (await hold(world.api, listing_id, {pools["12b"]: 1}, customer="c2")).json()["id"])
    change = (await _change(world, up["id"], {pools["1a"]: 1})).json()["change"]
    await deliver(world, await world.container.gateways.payments().pay(change["intent_id"]))
    assert (await _change(world, down["id"], {pools["30c"]: 1})).json()["change"]["state"] == "swapped"

    async def progress(checked: int, total: int | None) -> None:
        return None

    reconcile = world.container.use_cases.reconcile_payments()
    findings = await reconcile(ReconciliationScope(listing_id=UUID(listing_id)), progress)

    assert findings == []


async def test_inventory_reconciliation_finds_no_drift_across_swaps_and_changes_under_way(world: World) -> None:
    listing_id, pools, swapped = await _booked(world)
    waiting = await book(world, (await hold(world.api, listing_id, {pools["30c"]: 1}, customer="c2")).json()["id"])
    assert (await _change(world, swapped["id"], {pools["12b"]: 1})).json()["change"]["state"] == "swapped"
    assert (await _change(world, waiting["id"], {pools["1a"]: 1})).json()["change"]["state"] == "awaiting_payment"
    await world.container.use_cases.journal_holds()()  # the redis engine's holds reach the record

    async def progress(checked: int, total: int | None) -> None:
        return None

    reconcile = world.container.use_cases.reconcile_inventory()
    assert await reconcile(ReconciliationScope(listing_id=UUID(listing_id)), progress) == []


async def test_a_difference_paid_too_late_is_returned_once_even_when_its_refund_webhook_comes(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("free", 2, 0), ("paid", 2, 3_000)))
    booking = await book(world, (await hold(world.api, listing_id, {pools["free"]: 1})).json()["id"])
    change = (await _change(world, booking["id"], {pools["paid"]: 1})).json()["change"]
    world.clock.advance(3600)
    await world.container.use_cases.expire_holds()()  # the change's hold expires; the sweep has not run

    gateway = world.container.gateways.payments()
    await deliver(world, await gateway.pay(change["intent_id"]))  # paid too late: returned
    refund_hooks = await gateway.take_webhooks()
    assert any(b'"charge.refunded"' in hook.payload for hook in refund_hooks), refund_hooks
    await deliver(world, refund_hooks)  # the refund's own webhook

    shown = await _ledger_agrees(world, booking["id"])
    assert (shown["payment"]["captured"], shown["payment"]["refunded"]) == (3_000, 3_000)
    assert [c["state"] for c in shown["changes"]] == ["failed"]
    assert (await availability(world.api, listing_id))["paid"] == (0, 0, 2)
    async with world.container.gateways.database().engine.connect() as connection:
        handled = await connection.execute(select(webhook_events.c.event_type, webhook_events.c.status))
        assert {kind: status for kind, status in handled.all()} == {  # noqa: C416 (Rows, not pairs)
            "payment_intent.succeeded": "processed",
            "charge.refunded": "processed",
        }
