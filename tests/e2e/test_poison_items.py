"""One bad item never stops a batch job: it is set aside as a dead letter that operators see,
and the rest of the batch goes on (on both profiles)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from sqlalchemy import select, update

from domain.errors import PaymentProviderUnavailableError
from infrastructure.mail.file_sink import FileEmailSender
from infrastructure.persistence.delivery_tables import notifications, webhook_endpoints
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.tables import bookings
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import hold, make_listing
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver


async def _unpaid(world: World, listing_id: str, pool_id: str, customer: str) -> dict[str, Any]:
    hold_id = (await hold(world.api, listing_id, {pool_id: 1}, customer=customer, ttl_seconds=60)).json()["id"]
    response = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_unpaid_booking_the_gateway_cannot_stop_does_not_keep_the_others_from_expiring(
    world: World, operator: Api
) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    stuck = await _unpaid(world, listing_id, pools["a"], "ann")
    world.clock.advance(1)  # due after the stuck one: behind it in the expiry sweep's order
    other = await _unpaid(world, listing_id, pools["a"], "bob")
    # The gateway no longer knows the stuck booking's intent (say the Stripe account changed).
    async with world.container.gateways.database().transaction() as session:
        where = bookings.c.id == UUID(stuck["id"])
        await session.execute(update(bookings).where(where).values(payment_intent_id="pi_gone"))
    world.clock.advance(61)

    expired = await world.container.use_cases.expire_bookings()()

    assert [str(booking.id) for booking in expired] == [other["id"]]
    assert (await world.api.get(f"/v1/bookings/{other['id']}")).json()["status"] == "expired"
    assert (await world.api.get(f"/v1/bookings/{stuck['id']}")).json()["status"] == "pending_payment"
    letters = (await operator.get("/v1/ops/jobs/dead-letters")).json()
    assert [(letter["job"], letter["args"]["booking_id"]) for letter in letters] == [("expire_holds", stuck["id"])]
    assert "not_found" in letters[0]["error"] or "not found" in letters[0]["error"]

    assert await world.container.use_cases.expire_bookings()() == []  # met again: the same letter
    assert (await operator.get("/v1/ops/jobs")).json()["dead_letters"] == 1


class _ProviderDown:
    """The fake gateway, but the provider is unavailable (a fake of our port)."""

    def __init__(self, gateway: Any) -> None:
        self._gateway = gateway

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    async def retrieve_intent(self, intent_id: str) -> Any:
        raise PaymentProviderUnavailableError("the provider is down")


async def test_a_gateway_that_is_down_fails_the_sweep_and_letters_nothing(world: World, operator: Api) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 2500),))
    unpaid = await _unpaid(world, listing_id, pools["a"], "ann")
    world.container.gateways.payments.override(providers.Object(_ProviderDown(world.container.gateways.payments())))
    world.clock.advance(61)

    with pytest.raises(PaymentProviderUnavailableError):
        await world.container.use_cases.expire_bookings()()

    assert (await world.api.get(f"/v1/bookings/{unpaid['id']}")).json()["status"] == "pending_payment"
    assert (await operator.get("/v1/ops/jobs")).json()["dead_letters"] == 0


async def _free_booking(world: World, listing_id: str, pool_id: str, customer: str) -> str:
    hold_id = (await hold(world.api, listing_id, {pool_id: 1}, customer=customer)).json()["id"]
    response = await world.api.post("/v1/bookings", {"hold_id": hold_id, "contact_email": f"{customer}@example.com"})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


async def _unpublished(world: World) -> set[UUID]:
    async with world.container.gateways.database().reading() as session:
        where = outbox.c.published_at.is_(None)
        return set((await session.scalars(select(outbox.c.aggregate_id).where(where))).all())


async def test_an_event_whose_booking_cannot_be_read_does_not_hold_up_the_relay(world: World, operator: Api) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    unreadable = await _free_booking(world, listing_id, pools["a"], "ann")
    world.clock.advance(1)  # its events first in the relay's order
    await _free_booking(world, listing_id, pools["a"], "bob")  # published; the other is not
    # A status this version does not know (written by a newer one during a rolling deploy).
    async with world.container.gateways.database().transaction() as session:
        await session.execute(update(bookings).where(bookings.c.id == UUID(unreadable)).values(status="on_hold"))

    published = await world.container.use_cases.relay_outbox()()

    assert published >= 1
    assert await _unpublished(world) == {UUID(unreadable)}  # kept, in order, for when it can be read
    letters = (await operator.get("/v1/ops/jobs/dead-letters")).json()
    assert [(letter["job"], letter["args"]["aggregate_id"]) for letter in letters] == [("relay_outbox", unreadable)]

    assert await world.container.use_cases.relay_outbox()() == 0  # met again: skipped, lettered once
    assert (await operator.get("/v1/ops/jobs")).json()["dead_letters"] == 1
    assert await _unpublished(world) == {UUID(unreadable)}


async def test_a_notification_this_version_cannot_read_does_not_stop_the_emails(
    world: World, operator: Api, tmp_path: Path
) -> None:
    sink = FileEmailSender(tmp_path / "mail", "Holdfast <no-reply@example.com>")
    world.container.gateways.email.override(providers.Object(sink))
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    unreadable = await _free_booking(world, listing_id, pools["a"], "ann")
    world.clock.advance(1)
    await _free_booking(world, listing_id, pools["a"], "bob")
    assert await world.container.use_cases.relay_outbox()() >= 2
    # A kind this version does not know (written by a newer one during a rolling deploy).
    async with world.container.gateways.database().transaction() as session:
        where = notifications.c.booking_id == UUID(unreadable)
        await session.execute(update(notifications).where(where).values(kind="booking_reminder"))

    sent = await world.container.use_cases.send_notifications()()

    assert sent == 1
    assert [email["to"] for email in sink.read()] == ["bob@example.com"]
    letters = (await operator.get("/v1/ops/jobs/dead-letters")).json()
    assert [(letter["job"], "booking_reminder" in letter["error"]) for letter in letters] == [
        ("send_notifications", True)
    ]
    assert await world.container.use_cases.send_notifications()() == 0  # met again: lettered once
    assert (await operator.get("/v1/ops/jobs")).json()["dead_letters"] == 1


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as running:
        yield running


async def test_an_endpoint_url_the_sender_cannot_use_is_a_failed_attempt_not_a_failed_round(
    world: World, receiver: WebhookReceiver
) -> None:
    good = (await world.api.post("/v1/webhook-endpoints", {"url": receiver.url()})).json()
    legacy = (await world.api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})).json()
    # A DEL in the path: taken by the edge of before, refused by httpx ("non-printable").
    async with world.container.gateways.database().transaction() as session:
        where = webhook_endpoints.c.id == UUID(legacy["id"])
        await session.execute(update(webhook_endpoints).where(where).values(url="https://hooks.example.com/\x7f"))
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    await _free_booking(world, listing_id, pools["a"], "ann")
    assert await world.container.use_cases.relay_outbox()() >= 1

    attempted = await world.container.use_cases.deliver_webhooks()()

    assert attempted == 2
    assert len(receiver.received) == 1
    tried = (await world.api.get(f"/v1/webhook-endpoints/{legacy['id']}/deliveries")).json()["items"]
    assert [(d["status"], d["attempts"][0]["status_code"]) for d in tried] == [("pending", None)]
    # Refused before a request either way: unresolvable here (the sender resolves, then checks,
    # then connects), or, where the name resolves, by httpx ("non-printable").
    error = tried[0]["attempts"][0]["error"]
    assert "InvalidURL" in error or "does not resolve" in error
    assert good["id"] != legacy["id"]
