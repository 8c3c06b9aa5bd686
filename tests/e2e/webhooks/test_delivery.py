"""Stripe's deliveries: signature on the raw body, stored once by event id, acknowledged fast.

Events are signed the way Stripe signs them and checked by the real ``StripeWebhookVerifier``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.webhooks import InboxStatus
from infrastructure.payments.webhook_signing import SIGNATURE_HEADER, signature_header
from tests.e2e.conftest import World
from tests.e2e.webhooks.conftest import Stripe, entry, inbox
from tests.fakes.webhooks import RecordingWebhookHandler


def _assert_refused(response: Any, code: str = "invalid_signature") -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_a_verified_event_is_stored_handled_and_acknowledged(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler
) -> None:
    response = await stripe.send("evt_1")

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    stored = await entry(world, "evt_1")
    assert (stored.status, stored.attempts, stored.lease) == (InboxStatus.PROCESSED, 1, None)
    assert [(event.id, event.type, event.object["id"]) for event in handler.handled] == [
        ("evt_1", "payment_intent.succeeded", "pi_3Test")
    ]


async def test_no_api_key_is_asked_for_or_looked_at(world: World, stripe: Stripe) -> None:
    signed = stripe.sign("evt_key")
    response = await stripe.post(signed.payload, {**signed.headers, "X-API-Key": "hf_not_a_key"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("forgery", ["wrong secret", "tampered body", "no header", "garbled header", "stale"])
async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler, forgery: str
) -> None:
    signed = stripe.sign("evt_forged", secret="whsec_someone_else" if forgery == "wrong secret" else stripe.secret)
    payload, headers = signed.payload, dict(signed.headers)
    if forgery == "tampered body":
        payload = payload.replace(b"1000", b"9000")
    elif forgery == "no header":
        del headers[SIGNATURE_HEADER]
    elif forgery == "garbled header":
        headers[SIGNATURE_HEADER] = "t=soon,v1=zz"
    elif forgery == "stale":
        world.clock.advance(301)  # Stripe's tolerance is 300 s

    _assert_refused(await stripe.post(payload, headers))
    assert await inbox(world) == []
    assert handler.handled == []


async def test_a_delivery_signed_long_ago_is_refused(world: World, stripe: Stripe) -> None:
    old = world.clock.now().replace(year=2029)
    _assert_refused(await stripe.send("evt_old", at=old))
    assert await inbox(world) == []


@pytest.mark.parametrize("body", [b'{"id": "evt_x", "type": ', b"[]", b'{"id": "evt_x"}'])
async def test_a_signed_body_that_is_not_an_event_is_refused(world: World, stripe: Stripe, body: bytes) -> None:
    header = signature_header(body, stripe.secret, int(world.clock.now().timestamp()))
    response = await stripe.post(body, {SIGNATURE_HEADER: header, "Content-Type": "application/json"})
    _assert_refused(response, "validation_failed")
    assert await inbox(world) == []


async def test_fifty_simultaneous_deliveries_of_one_event_are_handled_once(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler
) -> None:
    signed = stripe.sign("evt_dup")

    responses = await asyncio.gather(*(stripe.post(signed.payload, signed.headers) for _ in range(50)))

    assert [r.status_code for r in responses] == [200] * 50
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 49
    assert handler.count("evt_dup") == 1
    assert [(e.event_id, e.status) for e in await inbox(world)] == [("evt_dup", InboxStatus.PROCESSED)]
    again = await stripe.post(signed.payload, signed.headers)
    assert again.json() == {"received": True, "duplicate": True}
    assert handler.count("evt_dup") == 1


async def test_an_unknown_event_type_is_acknowledged_and_ignored(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler
) -> None:
    response = await stripe.send("evt_customer", "customer.created")

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    stored = await entry(world, "evt_customer")
    assert (stored.status, stored.attempts, stored.last_error) == (InboxStatus.IGNORED, 0, None)
    assert handler.handled == []


async def test_the_wired_handler_ignores_types_it_does_not_know_too(world: World, stripe: Stripe) -> None:
    assert (await stripe.send("evt_wired", "customer.created")).status_code == 200
    assert (await entry(world, "evt_wired")).status is InboxStatus.IGNORED
