"""Stripe's webhook signature scheme, for the fake gateway and for tests that forge deliveries.

Stripe signs ``"<unix time>.<raw body>"`` with HMAC-SHA256 under the endpoint's secret and sends
``Stripe-Signature: t=<unix time>,v1=<hex digest>``: the scheme our own outgoing webhooks use
(``domain.webhook_signatures``), not the SDK's helper, so that the real verifier checking what
this signs is a real test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.webhook_signatures import signature_of

SIGNATURE_HEADER = "Stripe-Signature"


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` value for ``payload`` signed at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={signature_of(secret, timestamp, payload)}"  # Stripe's scheme is ours


@dataclass(frozen=True, slots=True)
class SignedWebhook:
    """One delivery as Stripe would POST it: the raw JSON body and its signature header."""

    payload: bytes
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {SIGNATURE_HEADER: self.signature, "Content-Type": "application/json"}

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.payload)
        return parsed


def sign_event(event: Mapping[str, Any], secret: str, at: datetime) -> SignedWebhook:
    """Serialise ``event`` and sign it as sent at ``at``."""
    payload = json.dumps(event, indent=2).encode()
    return SignedWebhook(payload, signature_header(payload, secret, int(at.timestamp())))
