"""Checkout through the API with the fake gateway: pay, fail, retry, expire, pay late, refund."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from sqlalchemy import select

from application.ports.webhooks import InboxPageRequest
from domain.errors import PaymentProviderUnavailableError
from infrastructure.payments.webhook_signing import sign_event
from infrastructure.persistence.outbox_tables import outbox as outbox_events
from tests.e2e.conftest import World
from tests.e2e.helpers import availability, deliver, hold, make_listing, pay


async def _checkout(world: World, listing_id: str, lines: dict[str, int], **extra: Any) -> dict[str, Any]:
    hold_id = (await hold(world.api, listing_id, lines, **extra)).json()["id"]
    response = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _booking(world: World, booking_id: str) -> dict[str, Any]:
    return (await world.api.get(f"/v1/bookings/{booking_id}")).json()  # type: ignore[no-any-return]


async def _ledger(world: World, booking_id: str) -> dict[str, Any]:
    response = await world.api.get(f"/v1/ledger/bookings/{booking_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_priced_hold_checks_out_and_confirms_when_paid(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 2})

    assert booking["status"] == "pending_payment"
    payment = booking["payment"]
    assert payment["amount"] == 5000
    assert payment["intent_id"].startswith("pi_")
    assert payment["client_secret"].startswith(payment["intent_id"] + "_secret_")
    assert payment["pay_before"] == "2030-01-01T12:10:00Z"  # the hold's expiry
    assert await availability(world.api, listing_id) == {"a": (2, 0, 3)}  # held, not sold

    await pay(world, booking)

    paid = await _booking(world, booking["id"])
    assert paid["status"] == "confirmed"
    assert paid["payment"]["captured"] == 5000
    assert await availability(world.api, listing_id) == {"a": (0, 2, 3)}
    history = (await world.api.get(f"/v1/bookings/{booking['id']}/history")).json()
    assert [(t["from_status"], t["to_status"]) for t in history] == [
        (None, "pending_payment"),
        ("pending_payment", "confirmed"),
    ]
    assert history[-1]["actor"] == "payment-gateway"


async def test_checking_out_twice_gives_the_same_intent(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    first = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    again = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["payment"] == again.json()["payment"]


async def test_a_declined_card_can_be_retried_before_the_hold_expires(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1})

    await pay(world, booking, outcome="declined")
    failed = await _booking(world, booking["id"])
    await pay(world, booking)
    paid = await _booking(world, booking["id"])

    assert failed["status"] == "payment_failed"
    assert failed["payment"]["last_error"]
    assert await availability(world.api, listing_id) == {"a": (0, 1, 4)}
    assert paid["status"] == "confirmed"


async def test_duplicate_and_late_webhooks_change_nothing(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1})
    deliveries = await world.container.gateways.payments().pay(booking["payment"]["intent_id"])

    for _ in range(3):
        await deliver(world, deliveries)

    paid = await _booking(world, booking["id"])
    assert paid["status"] == "confirmed"
    assert len(paid["history"]) == 2
    assert (await _ledger(world, booking["id"]))["totals"][0]["captured"] == 2500


async def test_an_unpaid_booking_expires_with_its_hold_and_its_intent_is_cancelled(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1}, ttl_seconds=60)
    world.clock.advance(61)

    expired = await world.container.use_cases.expire_bookings()()

    assert [str(b.id) for b in expired] == [booking["id"]]
    assert (await _booking(world, booking["id"]))["status"] == "expired"
    intent = await world.container.gateways.payments().retrieve_intent(booking["payment"]["intent_id"])
    assert intent.status == "canceled"
    assert await availability(world.api, listing_id) == {"a": (0, 0, 1)}


async def test_a_late_payment_gets_the_units_when_they_are_still_free(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1}, ttl_seconds=60)
    world.clock.advance(61)
    await world.container.use_cases.expire_holds()()  # the hold expires; the booking still waits

    await pay(world, booking)

    assert (await _booking(world, booking["id"]))["status"] == "confirmed"
    assert await availability(world.api, listing_id) == {"a": (0, 1, 0)}


async def test_a_late_payment_is_refunded_when_the_units_are_gone(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1}, ttl_seconds=60)
    world.clock.advance(61)
    rival = await hold(world.api, listing_id, {pools["a"]: 1}, customer="rival")
    assert rival.status_code == 201  # the expired hold's unit went to someone else

    await pay(world, booking)

    late = await _booking(world, booking["id"])
    assert late["status"] == "expired"
    assert late["payment"]["captured"] == late["payment"]["refunded"] == 2500
    ledger = await _ledger(world, booking["id"])
    assert ledger["totals"][0]["net"] == 0
    assert await availability(world.api, listing_id) == {"a": (1, 0, 0)}  # sold once: never twice


async def test_cancellation_follows_the_listing_policy(world: World) -> None:
    starts = (world.clock.now() + timedelta(hours=24)).isoformat()
    policy = {"full_refund_hours": 48, "late_refund_percent": 50}
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),), starts_at=starts, cancellation_policy=policy)
    booking = await _checkout(world, listing_id, {pools["a"]: 2})
    await pay(world, booking)

    cancelled = (await world.api.post(f"/v1/bookings/{booking['id']}/cancel")).json()

    # Inside the 48 h cut-off: half back. Cancelled, and found by either filter.
    assert (cancelled["status"], cancelled["payment_status"]) == ("cancelled", "partially_refunded")
    for query in ("status=cancelled", "payment_status=partially_refunded"):
        found = (await world.api.get(f"/v1/bookings?{query}")).json()["items"]
        assert [b["id"] for b in found] == [booking["id"]]
    assert cancelled["payment"]["refunded"] == 2500
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_operator_refunds_are_capped_by_what_was_captured(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 2})
    unpaid = await world.api.post(f"/v1/bookings/{booking['id']}/refunds", {"amount": 100})
    await pay(world, booking)

    partial = await world.api.post(f"/v1/bookings/{booking['id']}/refunds", {"amount": 1000, "reason": "goodwill"})
    too_much = await world.api.post(f"/v1/bookings/{booking['id']}/refunds", {"amount": 4001})
    rest = await world.api.post(f"/v1/bookings/{booking['id']}/refunds")
    nothing = await world.api.post(f"/v1/bookings/{booking['id']}/refunds", {"amount": 1})

    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "nothing_to_refund")
    assert partial.status_code == 201
    assert partial.json()["booking"]["status"] == "confirmed"
    assert partial.json()["booking"]["payment_status"] == "partially_refunded"
    assert partial.json()["refund"]["status"] == "succeeded"
    assert (too_much.status_code, too_much.json()["code"]) == (409, "refund_exceeds_captured")
    assert rest.json()["refund"]["amount"]["amount"] == 4000
    assert (rest.json()["booking"]["status"], rest.json()["booking"]["payment_status"]) == ("confirmed", "refunded")
    assert (nothing.status_code, nothing.json()["code"]) == (409, "nothing_to_refund")
    await deliver(world, await world.container.gateways.payments().take_webhooks())  # charge.refunded: no double count
    final = await _booking(world, booking["id"])
    assert final["payment"]["refunded"] == 5000
    totals = (await _ledger(world, booking["id"]))["totals"][0]
    assert (totals["captured"], totals["refunded"]) == (5000, 5000)


async def test_a_goodwill_refund_in_full_keeps_the_units_until_a_cancellation_returns_them(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 2})
    await pay(world, booking)

    refunded = (await world.api.post(f"/v1/bookings/{booking['id']}/refunds")).json()["booking"]
    units_while_refunded = await availability(world.api, listing_id)
    cancelled = (await world.api.post(f"/v1/bookings/{booking['id']}/cancel")).json()

    assert (refunded["status"], refunded["payment_status"]) == ("confirmed", "refunded")
    assert units_while_refunded == {"a": (0, 2, 3)}  # the seats are still the customer's
    assert (cancelled["status"], cancelled["payment_status"]) == ("cancelled", "refunded")
    assert [(t["from_status"], t["to_status"]) for t in cancelled["history"]][-1] == ("confirmed", "cancelled")
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}
    fake = world.container.gateways.payments()
    assert [r.amount for r in await fake.list_refunds(booking["payment"]["intent_id"])] == [5000]  # never twice
    statuses = (await world.api.get("/v1/bookings?status=refunded")).json()
    assert statuses["code"] == "validation_failed"  # a money state is not a lifecycle state


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)  # production never serves /v1/dev
async def test_the_dev_endpoint_plays_the_customer(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500), ("free", 5, 0)))
    booking = await _checkout(world, listing_id, {pools["a"]: 1})

    declined = await world.api.post(f"/v1/dev/bookings/{booking['id']}/pay", {"outcome": "declined"})
    paid = await world.api.post(f"/v1/dev/bookings/{booking['id']}/pay")

    assert declined.json()["status"] == "payment_failed"
    assert paid.status_code == 200
    assert paid.json()["status"] == "confirmed"
    free_hold = (await hold(world.api, listing_id, {pools["free"]: 1})).json()["id"]
    free = (await world.api.post("/v1/bookings", {"hold_id": free_hold})).json()
    nothing_to_pay = await world.api.post(f"/v1/dev/bookings/{free['id']}/pay")
    assert nothing_to_pay.status_code == 409
    other = await world.other.post(f"/v1/dev/bookings/{booking['id']}/pay")
    assert other.status_code == 404


async def test_events_we_do_not_act_on_are_acknowledged_and_ignored(world: World) -> None:
    secret = world.container.core.settings().webhook_secret
    event = {
        "id": "evt_customer_created",
        "object": "event",
        "type": "customer.created",
        "created": int(world.clock.now().timestamp()),
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    delivery = sign_event(event, secret, world.clock.now())

    response = await world.client.post("/v1/webhooks/stripe", content=delivery.payload, headers=delivery.headers)

    assert response.status_code == 200
    stored = await world.container.use_cases.list_webhook_events()(None, InboxPageRequest())
    assert [(e.event_id, e.status.value) for e in stored.items] == [("evt_customer_created", "ignored")]


async def test_a_dispute_is_recorded_once(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1})
    await pay(world, booking)
    secret = world.container.core.settings().webhook_secret
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 2500,
        "currency": "eur",
        "payment_intent": booking["payment"]["intent_id"],
        "reason": "fraudulent",
        "status": "needs_response",
    }
    event = {
        "id": "evt_dispute",
        "object": "event",
        "type": "charge.dispute.created",
        "created": int(world.clock.now().timestamp()),
        "data": {"object": dispute},
    }
    delivery = sign_event(event, secret, world.clock.now())
    again = sign_event({**event, "id": "evt_dispute_again"}, secret, world.clock.now())

    await deliver(world, [delivery, delivery, again])

    disputes = (await world.api.get(f"/v1/bookings/{booking['id']}/disputes")).json()
    assert [(d["id"], d["amount"], d["reason"]) for d in disputes] == [
        ("dp_1", {"amount": 2500, "currency": "EUR"}, "fraudulent")
    ]
    assert (await world.other.get(f"/v1/bookings/{booking['id']}/disputes")).status_code == 404


async def test_every_change_writes_its_events_to_the_outbox(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 2})
    await pay(world, booking, outcome="declined")
    await pay(world, booking)
    await world.api.post(f"/v1/bookings/{booking['id']}/cancel")

    statement = (
        select(outbox_events.c.type, outbox_events.c.sequence, outbox_events.c.subject)
        .where(outbox_events.c.aggregate_id == UUID(booking["id"]))
        .order_by(outbox_events.c.sequence)
    )
    async with world.container.gateways.database().reading() as session:
        rows = (await session.execute(statement)).all()

    assert [row.type for row in rows] == [
        "holdfast.booking.awaiting_payment.v1",
        "holdfast.booking.payment_failed.v1",
        "holdfast.booking.confirmed.v1",
        "holdfast.booking.cancelled.v1",
        "holdfast.booking.refunded.v1",
    ]
    assert [row.sequence for row in rows] == [1, 2, 3, 4, 5]
    assert {row.subject for row in rows} == {f"bookings/{booking['id']}"}


class _RefundsFailOnce:
    """The fake gateway, but the provider is down for the first refund (a fake of our port)."""

    def __init__(self, gateway: Any) -> None:
        self._gateway, self.failed = gateway, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    async def refund(self, *args: Any, **kwargs: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise PaymentProviderUnavailableError("the provider is down")
        return await self._gateway.refund(*args, **kwargs)


async def test_a_refund_that_failed_is_completed_by_the_retry_and_paid_once(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 1, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1}, ttl_seconds=60)
    world.clock.advance(61)
    assert (await hold(world.api, listing_id, {pools["a"]: 1}, customer="rival")).status_code == 201
    fake = world.container.gateways.payments()
    world.container.gateways.payments.override(providers.Object(_RefundsFailOnce(fake)))

    await pay(world, booking)  # the capture is recorded; the refund of the unsold payment fails
    owed = await _booking(world, booking["id"])
    world.clock.advance(3600)
    await world.container.use_cases.retry_webhook_events()()
    settled = await _booking(world, booking["id"])

    assert (owed["status"], owed["payment"]["captured"], owed["payment"]["refunded"]) == ("expired", 2500, 0)
    assert settled["payment"]["refunded"] == 2500
    refunds = await fake.list_refunds(booking["payment"]["intent_id"])
    assert [r.amount for r in refunds] == [2500]  # asked twice, paid once


async def test_a_cancellation_stands_when_its_refund_must_wait_and_the_job_pays_it_once(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 2, 2500),))
    booking = await _checkout(world, listing_id, {pools["a"]: 1})
    await pay(world, booking)
    fake = world.container.gateways.payments()
    world.container.gateways.payments.override(providers.Object(_RefundsFailOnce(fake)))

    cancelled = await world.api.post(f"/v1/bookings/{booking['id']}/cancel")
    world.clock.advance(600)
    retried = await world.container.use_cases.retry_refunds()()
    await world.container.use_cases.retry_refunds()()  # a second round finds nothing to do
    settled = await _booking(world, booking["id"])

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["payment"]["refunded"]) == ("cancelled", 0)
    assert (await availability(world.api, listing_id))["a"] == (0, 0, 2)
    assert retried == 1
    assert (settled["status"], settled["payment_status"], settled["payment"]["refunded"]) == (
        "cancelled",
        "refunded",
        2500,
    )
    assert [r.amount for r in await fake.list_refunds(booking["payment"]["intent_id"])] == [2500]


async def test_racing_checkouts_of_one_hold_make_one_booking_and_one_intent(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]

    responses = await asyncio.gather(*(world.api.post("/v1/bookings", {"hold_id": hold_id}) for _ in range(10)))

    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["payment"]["intent_id"] for r in responses}) == 1
    assert len((await world.api.get("/v1/bookings")).json()["items"]) == 1
