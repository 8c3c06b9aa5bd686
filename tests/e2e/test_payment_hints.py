"""Stripe events are hints: a signed event whose re-read of the PaymentIntent finds nothing new
changes nothing (no transition, no version bump, no outbox event), on both profiles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from application.ports.webhooks import InboxPageRequest
from domain.bookings import Booking
from infrastructure.payments.webhook_signing import sign_event
from infrastructure.persistence.outbox_tables import outbox
from tests.e2e.conftest import World
from tests.e2e.helpers import deliver, hold, make_listing, pay

INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


async def _checkout(world: World) -> dict[str, Any]:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    response = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _hint(world: World, event_id: str, event_type: str, intent_id: str) -> None:
    """A signed event naming the intent, as Stripe would send it, POSTed to the app."""
    event = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(world.clock.now().timestamp()),
        "data": {"object": {"id": intent_id, "object": "payment_intent", "status": "succeeded"}},
    }
    await deliver(world, [sign_event(event, world.container.core.settings().webhook_secret, world.clock.now())])


async def _state(world: World, intent_id: str) -> tuple[Booking, int]:
    """The booking as recorded, and how many events the outbox holds."""
    async with world.container.gateways.uow() as uow:
        booking = await uow.bookings.get_by_intent(intent_id)
    async with world.container.gateways.database().reading() as session:
        events = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
    assert booking is not None
    return booking, int(events)


async def _processed(world: World) -> dict[str, str]:
    stored = await world.container.use_cases.list_webhook_events()(None, InboxPageRequest(limit=100))
    return {entry.event_id: entry.status.value for entry in stored.items}


async def test_a_hint_for_an_intent_never_paid_changes_nothing(world: World) -> None:
    booking = await _checkout(world)
    intent_id = booking["payment"]["intent_id"]
    before, events_before = await _state(world, booking["payment"]["intent_id"])

    for number, event_type in enumerate(INTENT_EVENTS):
        await _hint(world, f"evt_unpaid_{number}", event_type, intent_id)

    after, events_after = await _state(world, booking["payment"]["intent_id"])
    assert after.status.value == "pending_payment"
    assert (after.version, after.updated_at, len(after.history)) == (before.version, before.updated_at, 1)
    assert events_after == events_before
    assert await _processed(world) == {f"evt_unpaid_{n}": "processed" for n in range(len(INTENT_EVENTS))}


async def test_a_hint_after_a_decline_that_finds_the_same_decline_changes_nothing(world: World) -> None:
    booking = await _checkout(world)
    await pay(world, booking, outcome="declined")
    before, events_before = await _state(world, booking["payment"]["intent_id"])
    assert before.status.value == "payment_failed"

    for number, event_type in enumerate(INTENT_EVENTS):
        await _hint(world, f"evt_declined_again_{number}", event_type, booking["payment"]["intent_id"])

    after, events_after = await _state(world, booking["payment"]["intent_id"])
    assert (after.status, after.version, after.updated_at) == (before.status, before.version, before.updated_at)
    assert len(after.history) == len(before.history) == 2
    assert events_after == events_before
