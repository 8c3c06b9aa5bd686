"""The customer's side of a Stripe payment, for tests against a Stripe-compatible server.

The port never confirms an intent: in production the customer's browser does, with Stripe.js
and the client secret. Tests play that part here, calling the SDK directly. The test cards are
ones that both Stripe's test mode and localstripe know: ``pm_card_chargeCustomerFail`` attaches
fine and is declined when charged (localstripe has no ``pm_card_chargeDeclined``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from infrastructure.payments.fake import Outcome
from infrastructure.payments.stripe_errors import translated_errors

API_KEY = "sk_test_holdfast"  # localstripe takes any key that looks like a secret key
CARDS = {"succeeded": "pm_card_visa", "declined": "pm_card_chargeCustomerFail"}


class RecordingHTTPClient(stripe.HTTPXClient):
    """The SDK's own httpx client, noting each request's method, path and headers on the way out."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.sent.append((method.upper(), url.split("://", 1)[-1].split("/", 1)[-1], dict(headers)))
        return await super().request_async(method, url, headers, post_data)


class StripeCustomer:
    def __init__(self, api_base: str) -> None:
        self._http = stripe.HTTPXClient()
        client = stripe.StripeClient(
            API_KEY, base_addresses={"api": api_base}, http_client=self._http, max_network_retries=0
        )
        self._intents = client.v1.payment_intents

    async def pay(self, intent_id: str, outcome: Outcome = "succeeded") -> None:
        """Attach a test card and confirm; a decline raises ``PaymentDeclinedError``, as the gateway would."""
        with translated_errors(intent_id):
            await self._intents.update_async(intent_id, {"payment_method": CARDS[outcome]})
            await self._intents.confirm_async(intent_id)

    async def aclose(self) -> None:
        await self._http.close_async()
