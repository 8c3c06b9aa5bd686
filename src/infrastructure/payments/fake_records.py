"""The fake gateway's state, rendered as the JSON Stripe would send for it.

The fake answers port calls by mapping these renderings through ``stripe_mapping``, the same
code that maps Stripe's own answers, and sends the very same renderings in its webhooks.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from application.ports.payments import IntentStatus, Refund

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """Stripe-style ids: a type prefix and 24 base62 characters."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def stripe_like_fee(amount: int) -> int:
    """1.4 % + 25 minor units, rounded half up: European cards' standard Stripe pricing."""
    return (amount * 14 + 500) // 1000 + 25


DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
}


@dataclass(slots=True)
class FakeCharge:
    id: str
    amount: int
    currency: str
    intent_id: str
    succeeded: bool
    created: int
    refunded: int = 0

    @property
    def fee(self) -> int | None:
        return stripe_like_fee(self.amount) if self.succeeded else None

    def to_stripe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount if self.succeeded else 0,
            "amount_refunded": self.refunded,
            "refunded": self.succeeded and self.refunded >= self.amount,
            "captured": self.succeeded,
            "paid": self.succeeded,
            "status": "succeeded" if self.succeeded else "failed",
            "currency": self.currency,
            "payment_intent": self.intent_id,
            "failure_code": None if self.succeeded else DECLINE["code"],
            "created": self.created,
            "livemode": False,
        }


@dataclass(slots=True)
class FakeIntent:
    id: str
    amount: int
    currency: str
    metadata: dict[str, str]
    created: int
    status: IntentStatus = IntentStatus.REQUIRES_PAYMENT_METHOD
    charge: FakeCharge | None = None
    last_error: dict[str, str] | None = None
    refunds: list[Refund] = field(default_factory=list)
    client_secret: str = ""

    def __post_init__(self) -> None:
        self.client_secret = self.client_secret or f"{self.id}_secret_{new_id('')}"

    @property
    def amount_received(self) -> int:
        return self.charge.amount if self.charge is not None and self.charge.succeeded else 0

    @property
    def refundable(self) -> int:
        return self.amount_received - sum(refund.amount for refund in self.refunds)

    def to_stripe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_received": self.amount_received,
            "currency": self.currency,
            "status": str(self.status),
            "client_secret": self.client_secret,
            "metadata": dict(self.metadata),
            "latest_charge": None if self.charge is None else self.charge.id,
            "last_payment_error": self.last_error,
            "capture_method": "automatic",
            "created": self.created,
            "livemode": False,
        }


def refund_to_stripe(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status.value,
        "payment_intent": refund.payment_intent_id,
        "metadata": dict(refund.metadata),
    }


def event_envelope(event_type: str, obj: dict[str, Any], created: int) -> dict[str, Any]:
    """A Stripe event as webhooks carry it (``api_version`` is null: no real API rendered it)."""
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": None,
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }
