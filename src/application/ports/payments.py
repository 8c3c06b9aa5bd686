"""The payment gateway port: Stripe in production, a fake with the same behaviour elsewhere.

Every mutating call carries an idempotency key derived from our own operation (for example
``"checkout:<booking id>"``), so a retry after a crash can never charge or refund twice.
Gateways raise ``PaymentDeclinedError`` for a customer's card problem (a 4xx for the client,
never a 500) and ``PaymentProviderUnavailableError`` when the provider cannot be reached.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class IntentStatus(enum.StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    id: str
    status: IntentStatus
    amount: int
    currency: str  # lower case, as Stripe writes it
    amount_received: int = 0
    client_secret: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    latest_charge: str | None = None
    last_error: str | None = None  # the decline code or message of the last failed attempt


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    payment_intent_id: str
    amount: int
    currency: str
    status: RefundStatus
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """A verified webhook event: a hint that something changed, never the truth itself."""

    id: str
    type: str
    created: datetime
    object: Mapping[str, Any]  # the event's data.object, as the provider sent it


class PaymentGateway(Protocol):
    async def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntent:
        """A PaymentIntent the client confirms with its client secret."""
        ...

    async def retrieve_intent(self, intent_id: str) -> PaymentIntent: ...

    async def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        """Cancel an unpaid intent; cancelling a cancelled one returns it unchanged."""
        ...

    async def refund(self, intent_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str) -> Refund:
        """Refund ``amount`` minor units of a succeeded intent."""
        ...

    async def list_refunds(self, intent_id: str) -> list[Refund]: ...

    async def fee(self, intent_id: str) -> int | None:
        """The provider's fee for the intent's charge, from its balance transaction, if known."""
        ...


class WebhookVerifier(Protocol):
    def verify(self, payload: bytes, signature_header: str | None) -> GatewayEvent:
        """Checks the signature on the raw body; raises a domain error with a 4xx code if it fails."""
        ...
