"""The payment port on Stripe: PaymentIntents and refunds through the official SDK's async calls.

Every mutating call sends the caller's idempotency key, so the SDK's own network retries and
our retries after a crash replay Stripe's first answer instead of charging or refunding twice.
``api_base`` points the client elsewhere than api.stripe.com (a Stripe look-alike in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from application.ports.payments import IntentStatus, PaymentIntent, Refund, RefundStatus
from domain.errors import InvalidTransitionError, InvalidValueError, RefundExceedsCapturedError
from infrastructure.payments.stripe_errors import is_over_refund, translated_errors
from infrastructure.payments.stripe_mapping import fee_from_stripe, intent_from_stripe, refund_from_stripe

TIMEOUT_S = 20.0  # a checkout should fail over to "retry later", not hang for the SDK's 80 s
NETWORK_RETRIES = 2  # safe: every mutating request carries an idempotency key
UNCANCELABLE = frozenset({IntentStatus.SUCCEEDED, IntentStatus.PROCESSING})
OUTSTANDING_REFUNDS = frozenset({RefundStatus.SUCCEEDED, RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION})


class StripePaymentGateway:
    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        timeout_s: float = TIMEOUT_S,
        max_network_retries: int = NETWORK_RETRIES,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        # httpx explicitly: the SDK's async calls need an async HTTP client, and Litestar brings httpx.
        self._http = http_client or stripe.HTTPXClient(timeout=timeout_s)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=max_network_retries,
        )
        self._intents = self._client.v1.payment_intents
        self._refunds = self._client.v1.refunds

    async def aclose(self) -> None:
        """Close the pooled HTTP connections (the container calls this at shutdown)."""
        await self._http.close_async()

    async def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntent:
        _check_positive(amount)
        params: dict[str, Any] = {"amount": amount, "currency": currency.lower(), **_metadata(metadata)}
        with translated_errors():
            intent = await self._intents.create_async(params, _once(idempotency_key))
        return intent_from_stripe(intent.to_dict())

    async def retrieve_intent(self, intent_id: str) -> PaymentIntent:
        with translated_errors(intent_id):
            intent = await self._intents.retrieve_async(intent_id)
        return intent_from_stripe(intent.to_dict())

    async def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        try:
            with translated_errors(intent_id):
                intent = await self._intents.cancel_async(intent_id, options=_once(idempotency_key))
        except stripe.InvalidRequestError as exc:
            return await self._cancel_refused(intent_id, exc)
        return intent_from_stripe(intent.to_dict())

    async def refund(self, intent_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str) -> Refund:
        _check_positive(amount)
        params: dict[str, Any] = {"payment_intent": intent_id, "amount": amount, **_metadata(metadata)}
        try:
            with translated_errors(intent_id):
                refund = await self._refunds.create_async(params, _once(idempotency_key))
        except stripe.InvalidRequestError as exc:
            await self._refund_refused(intent_id, amount, exc)
            raise
        return refund_from_stripe(refund.to_dict(), intent_id)

    async def list_refunds(self, intent_id: str) -> list[Refund]:
        """Newest first, as Stripe lists them, across every page."""
        with translated_errors(intent_id):
            page = await self._refunds.list_async({"payment_intent": intent_id, "limit": 100})
            return [refund_from_stripe(item.to_dict(), intent_id) async for item in page.auto_paging_iter()]

    async def fee(self, intent_id: str) -> int | None:
        params: dict[str, Any] = {"expand": ["latest_charge.balance_transaction"]}
        with translated_errors(intent_id):
            intent = await self._intents.retrieve_async(intent_id, params)
        return fee_from_stripe(intent.to_dict())

    async def _cancel_refused(self, intent_id: str, exc: stripe.InvalidRequestError) -> PaymentIntent:
        """Stripe refuses to cancel a cancelled intent; the port promises that is a no-op."""
        current = await self.retrieve_intent(intent_id)
        if current.status is IntentStatus.CANCELED:
            return current
        if current.status in UNCANCELABLE:
            raise InvalidTransitionError("payment_intent", current.status, IntentStatus.CANCELED) from exc
        raise exc

    async def _refund_refused(self, intent_id: str, amount: int, exc: stripe.InvalidRequestError) -> None:
        """Name a refused refund from the facts, not from Stripe's wording; return to re-raise ``exc``."""
        intent = await self.retrieve_intent(intent_id)
        if intent.status is not IntentStatus.SUCCEEDED:
            raise InvalidTransitionError("payment_intent", intent.status, "refunded") from exc
        if is_over_refund(exc):
            refunded = sum(r.amount for r in await self.list_refunds(intent_id) if r.status in OUTSTANDING_REFUNDS)
            raise RefundExceedsCapturedError(amount, max(intent.amount_received - refunded, 0)) from exc


def _once(idempotency_key: str) -> stripe.RequestOptions:
    return {"idempotency_key": idempotency_key}


def _metadata(metadata: Mapping[str, str]) -> dict[str, Any]:
    """Stripe reads an empty ``metadata`` as "clear it", so an empty one is not sent at all."""
    return {"metadata": dict(metadata)} if metadata else {}


def _check_positive(amount: int) -> None:
    if amount <= 0:
        raise InvalidValueError("amount", f"must be a positive number of minor units, got {amount}")
