"""StripeWebhookVerifier accepts exactly what Stripe signs, recently, with our secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import stripe

from domain.errors import InvalidValueError, WebhookSignatureError
from infrastructure.payments.stripe_webhooks import StripeWebhookVerifier
from infrastructure.payments.webhook_signing import sign_event, signature_header
from tests.fakes.clock import FakeClock

SECRET = "whsec_test_secret"
EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "payment_intent.succeeded",
    "created": 1_900_000_000,
    "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 1500, "metadata": {"k": "v"}}},
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def verifier(clock: FakeClock) -> StripeWebhookVerifier:
    return StripeWebhookVerifier(SECRET, clock)


def now(clock: FakeClock) -> int:
    return int(clock.now().timestamp())


def test_a_body_signed_like_stripe_becomes_an_event(verifier: StripeWebhookVerifier, clock: FakeClock) -> None:
    signed = sign_event(EVENT, SECRET, clock.now())
    event = verifier.verify(signed.payload, signed.signature)
    assert (event.id, event.type) == ("evt_1", "payment_intent.succeeded")
    assert event.created == datetime.fromtimestamp(1_900_000_000, UTC)
    assert event.created.tzinfo is not None
    assert event.object == EVENT["data"]["object"]  # type: ignore[index]
    assert type(event.object) is dict


def test_the_signer_writes_the_header_exactly_as_stripes_sdk_does() -> None:
    payload = json.dumps(EVENT)
    expected = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=1_900_000_000)
    assert signature_header(payload.encode(), SECRET, 1_900_000_000) == expected


def test_a_body_signed_by_stripes_sdk_verifies(verifier: StripeWebhookVerifier, clock: FakeClock) -> None:
    payload = json.dumps(EVENT)
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=now(clock))
    assert verifier.verify(payload.encode(), header).id == "evt_1"


def test_another_secret_is_refused(verifier: StripeWebhookVerifier, clock: FakeClock) -> None:
    signed = sign_event(EVENT, "whsec_someone_else", clock.now())
    with pytest.raises(WebhookSignatureError, match="does not sign this body"):
        verifier.verify(signed.payload, signed.signature)


def test_a_tampered_body_is_refused(verifier: StripeWebhookVerifier, clock: FakeClock) -> None:
    signed = sign_event(EVENT, SECRET, clock.now())
    with pytest.raises(WebhookSignatureError):
        verifier.verify(signed.payload.replace(b"1500", b"15"), signed.signature)


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_header_is_refused(verifier: StripeWebhookVerifier, header: str | None) -> None:
    with pytest.raises(WebhookSignatureError, match="no Stripe-Signature header"):
        verifier.verify(json.dumps(EVENT).encode(), header)


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=soon,v1=abc", "v1=abc", "t=1900000000", "t=1900000000,v0=abc", "t=1900000000,v1="],
)
def test_a_malformed_header_is_refused(verifier: StripeWebhookVerifier, header: str) -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        verifier.verify(json.dumps(EVENT).encode(), header)
    assert caught.value.code == "invalid_signature"


def test_a_body_that_is_not_utf8_is_refused(verifier: StripeWebhookVerifier, clock: FakeClock) -> None:
    payload = b"\xff\xfe{}"
    with pytest.raises(WebhookSignatureError, match="UTF-8"):
        verifier.verify(payload, signature_header(payload, SECRET, now(clock)))


def test_a_signature_older_than_five_minutes_is_refused(verifier: StripeWebhookVerifier, clock: FakeClock) -> None:
    signed = sign_event(EVENT, SECRET, clock.now())
    clock.advance(300)
    assert verifier.verify(signed.payload, signed.signature).id == "evt_1"
    clock.advance(1)
    with pytest.raises(WebhookSignatureError, match="301 s ago"):
        verifier.verify(signed.payload, signed.signature)


def test_a_signature_from_the_future_is_accepted_as_stripe_accepts_it(
    verifier: StripeWebhookVerifier, clock: FakeClock
) -> None:
    payload = json.dumps(EVENT).encode()
    assert verifier.verify(payload, signature_header(payload, SECRET, now(clock) + 3600)).id == "evt_1"


@pytest.mark.parametrize("body", [b"not json", b'{"id": "evt_1"}', b"[]"])
def test_a_signed_body_that_is_not_an_event_is_bad_input(
    verifier: StripeWebhookVerifier, clock: FakeClock, body: bytes
) -> None:
    with pytest.raises(InvalidValueError, match="payload"):
        verifier.verify(body, signature_header(body, SECRET, now(clock)))
