"""Tenants' outgoing webhooks over HTTP, and a booking's events reaching its tenant's endpoint
and its customer's inbox, on the embedded default and on the production profile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from domain.outgoing_webhooks import DeliveryPolicy
from domain.webhook_signatures import verify_signature
from infrastructure.mail.file_sink import FileEmailSender
from tests.e2e.conftest import World
from tests.e2e.helpers import book, hold, make_listing
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver

PATH = "/v1/webhook-endpoints"
CONFIRMED = "holdfast.booking.confirmed.v1"


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as running:
        yield running


async def _create(world: World, url: str, **body: Any) -> dict[str, Any]:
    response = await world.api.post(PATH, {"url": url, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_endpoints_are_created_read_listed_and_deleted_per_tenant(world: World) -> None:
    created = await _create(world, "https://hooks.example.com/holdfast", event_types=[CONFIRMED])
    assert created["secret"].startswith("hfwhsec_")
    assert (created["status"], created["consecutive_failures"], created["event_types"]) == ("enabled", 0, [CONFIRMED])

    shown = (await world.api.get(f"{PATH}/{created['id']}")).json()
    assert "secret" not in shown  # shown once, on creation
    assert shown["url"] == "https://hooks.example.com/holdfast"
    world.clock.advance(1)  # oldest first: the second one is created later
    everything = await _create(world, "http://127.0.0.1:9/in")
    assert everything["event_types"] == ["*"]
    listed = (await world.api.get(PATH)).json()
    assert [item["id"] for item in listed["items"]] == [created["id"], everything["id"]]
    assert all("secret" not in item for item in listed["items"])

    assert (await world.other.get(f"{PATH}/{created['id']}")).status_code == 404
    assert (await world.other.get(PATH)).json()["items"] == []
    assert (await world.other.delete(f"{PATH}/{created['id']}")).status_code == 404

    assert (await world.api.delete(f"{PATH}/{created['id']}")).status_code == 200
    assert (await world.api.get(f"{PATH}/{created['id']}")).status_code == 404
    assert (await world.api.get(f"{PATH}/{created['id']}/deliveries")).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "ftp://hooks.example.com/in"}, 400, "invalid_webhook_url"),
        ({"url": "https://user:pw@hooks.example.com/in"}, 400, "invalid_webhook_url"),
        ({"url": "not a url"}, 400, "invalid_webhook_url"),
        (
            {"url": "https://hooks.example.com", "event_types": ["holdfast.booking.confirmd.v1"]},
            400,
            "unknown_event_type",
        ),
        ({"url": "https://hooks.example.com", "event_types": []}, 400, "validation_failed"),
        ({"url": "https://hooks.example.com", "secret": "mine"}, 400, "validation_failed"),
        ({}, 400, "validation_failed"),
    ],
)
async def test_bad_endpoints_are_refused_with_a_stable_code(
    world: World, body: dict[str, Any], status: int, code: str
) -> None:
    response = await world.api.post(PATH, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert (await world.api.get(PATH)).json()["items"] == []


async def test_a_bad_contact_email_is_refused_and_a_good_one_kept(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 5, 0),))
    held = (await hold(world.api, listing, {pools["a"]: 1})).json()
    refused = await world.api.post("/v1/bookings", {"hold_id": held["id"], "contact_email": "not-an-address"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "validation_failed"
    booked = await world.api.post("/v1/bookings", {"hold_id": held["id"], "contact_email": "ann@example.com"})
    assert booked.status_code == 201, booked.text
    assert booked.json()["contact_email"] == "ann@example.com"


async def test_a_confirmed_booking_reaches_the_endpoint_signed_and_the_customer_by_email(
    world: World, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    sink = FileEmailSender(tmp_path / "mail", "Holdfast <no-reply@example.com>")
    world.container.gateways.email.override(providers.Object(sink))
    endpoint = await _create(world, receiver.url())
    listing, pools = await make_listing(world.api, (("a", 5, 1250),))
    held = (await hold(world.api, listing, {pools["a"]: 2})).json()
    response = await world.api.post("/v1/bookings", {"hold_id": held["id"], "contact_email": "jane@example.com"})
    booking = response.json()
    assert booking["status"] == "pending_payment"
    booking = await book(world, held["id"])
    assert booking["status"] == "confirmed"
    use_cases = world.container.use_cases

    assert await use_cases.relay_outbox()() == 2  # awaiting payment, then confirmed
    assert await use_cases.deliver_webhooks()() == 2  # one round: the first, then the confirmation
    assert await use_cases.send_notifications()() == 1

    now = int(world.clock.now().timestamp())
    for request in receiver.received:
        verify_signature(endpoint["secret"], request.headers["holdfast-signature"], request.body, now)
    assert [r.event["type"] for r in receiver.received] == ["holdfast.booking.awaiting_payment.v1", CONFIRMED]
    assert {r.event["subject"] for r in receiver.received} == {f"bookings/{booking['id']}"}
    deliveries = (await world.api.get(f"{PATH}/{endpoint['id']}/deliveries")).json()["items"]
    assert sorted((d["event_type"], d["status"], [a["status_code"] for a in d["attempts"]]) for d in deliveries) == [
        ("holdfast.booking.awaiting_payment.v1", "delivered", [204]),
        (CONFIRMED, "delivered", [204]),
    ]
    [email] = sink.read()
    assert (email["to"], email["subject"]) == ("jane@example.com", "Your booking for The Show is confirmed")
    assert "Total: EUR 25.00" in email["body"]
    assert (await world.other.get(f"{PATH}/{endpoint['id']}/deliveries")).status_code == 404


async def test_a_refusing_endpoint_is_disabled_and_enabled_again(world: World, receiver: WebhookReceiver) -> None:
    world.container.use_cases.delivery_policy.override(providers.Object(DeliveryPolicy(disable_after_failures=1)))
    endpoint = await _create(world, receiver.url(), event_types=[CONFIRMED])
    listing, pools = await make_listing(world.api, (("a", 5, 0),))
    for _ in range(2):
        await book(world, (await hold(world.api, listing, {pools["a"]: 1})).json()["id"])
    receiver.default = 410
    use_cases = world.container.use_cases
    assert await use_cases.relay_outbox()() == 2

    assert await use_cases.deliver_webhooks()(limit=1) == 1
    assert await use_cases.deliver_webhooks()() == 0
    shown = (await world.api.get(f"{PATH}/{endpoint['id']}")).json()
    assert (shown["status"], shown["consecutive_failures"]) == ("disabled", 1)
    assert shown["disabled_reason"]

    receiver.default = 200
    enabled = await world.api.post(f"{PATH}/{endpoint['id']}/enable")
    assert enabled.status_code == 200, enabled.text
    assert (enabled.json()["status"], enabled.json()["consecutive_failures"]) == ("enabled", 0)
    assert await use_cases.deliver_webhooks()() == 1
    statuses = (await world.api.get(f"{PATH}/{endpoint['id']}/deliveries?status=failed")).json()["items"]
    assert [d["attempts"][0]["status_code"] for d in statuses] == [410]
    assert (await world.other.post(f"{PATH}/{endpoint['id']}/enable")).status_code == 404


async def test_an_unknown_event_type_is_answered_with_the_types_there_are(world: World) -> None:
    body = {"url": "https://hooks.example.com", "event_types": ["holdfast.booking.confirmd.v1"]}
    response = await world.api.post(PATH, body)
    assert response.status_code == 400, response.text
    problem = response.json()
    [error] = problem["errors"]
    assert error["field"] == "event_types"
    for known in ("holdfast.booking.confirmed.v1", "holdfast.booking.refunded.v1", "*"):
        assert repr(known) in error["message"]
        assert repr(known) in problem["detail"]
