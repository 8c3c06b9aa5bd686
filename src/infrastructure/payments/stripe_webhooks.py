"""Stripe webhook verification: the signature on the raw body, then its age on our clock.

The SDK's ``WebhookSignature.verify_header`` checks the header and the HMAC. Its freshness check
reads the machine's clock, so it is switched off (``tolerance=None``) and the age is measured on
the injected ``Clock`` instead: the same clock the fake gateway signs with, so tests that move
time see webhooks go stale exactly when production would. The body is parsed only once trusted.
"""

from __future__ import annotations

import json
from typing import Any

import stripe
from loguru import logger

from application.ports.clock import Clock
from application.ports.payments import GatewayEvent
from domain.errors import InvalidValueError, WebhookSignatureError
from infrastructure.payments.stripe_mapping import event_from_stripe

TOLERANCE_S = 300  # Stripe's default: a captured delivery cannot be replayed after five minutes


class StripeWebhookVerifier:
    def __init__(self, secret: str, clock: Clock, tolerance_s: int = TOLERANCE_S) -> None:
        self._secret = secret
        self._clock = clock
        self._tolerance_s = tolerance_s

    def verify(self, payload: bytes, signature_header: str | None) -> GatewayEvent:
        try:
            stripe.WebhookSignature.verify_header(payload, signature_header, self._secret, tolerance=None)
        except stripe.SignatureVerificationError as exc:
            # The SDK's text is advice to the developer calling it ("pass it in", "use one of the
            # `*_without_verification` methods"): it goes to our log, the sender gets a plain answer.
            logger.info("stripe webhook refused: {}", exc.user_message)
            raise WebhookSignatureError(_refusal(signature_header)) from exc
        except UnicodeDecodeError as exc:  # the SDK decodes the body before it looks at it
            raise WebhookSignatureError("the body is not UTF-8, so it cannot be what Stripe signed") from exc
        self._check_age(_timestamp(signature_header or ""))
        return event_from_stripe(_parsed(payload))

    def _check_age(self, timestamp: int) -> None:
        age = self._clock.now().timestamp() - timestamp
        if age > self._tolerance_s:
            raise WebhookSignatureError(f"signed {age:.0f} s ago, more than the {self._tolerance_s} s tolerated")


def _refusal(header: str | None) -> str:
    """What a sender is told about a signature the SDK refused."""
    if not header:
        return "no Stripe-Signature header"
    return "the Stripe-Signature header does not sign this body with our webhook secret"


def _timestamp(header: str) -> int:
    """The first ``t=`` of a header the SDK has accepted, read as the SDK reads it (so it is numeric)."""
    stamps = [parts[1] for parts in (item.split("=", 2) for item in header.split(",")) if parts[0] == "t"]
    return int(stamps[0])


def _parsed(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise InvalidValueError("payload", "a signed body that is not JSON") from exc
