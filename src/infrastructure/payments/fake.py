"""An in-memory payment gateway that behaves like Stripe for everything the port exposes.

It serves the embedded default and the tests: intents with Stripe-style ids and client secrets,
idempotency keys replayed as Stripe replays them, cancellation, refunds capped at what is left,
Stripe-like fees. ``pay`` plays the customer (what Stripe.js does in the browser) and returns the
webhook Stripe would send; refunds and cancellations queue theirs for ``take_webhooks``. Every
webhook is signed exactly as Stripe signs, at the injected clock's time, so the real
``StripeWebhookVerifier`` accepts them and tests that move the clock see them go stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from application.ports.clock import Clock
from application.ports.payments import IntentStatus, PaymentIntent, Refund, RefundStatus
from domain.errors import (
    ConflictError,
    InvalidTransitionError,
    InvalidValueError,
    NotFoundError,
    RefundExceedsCapturedError,
)
from infrastructure.payments.fake_records import DECLINE, FakeCharge, FakeIntent, event_envelope, new_id
from infrastructure.payments.stripe_mapping import intent_from_stripe
from infrastructure.payments.webhook_signing import SignedWebhook, sign_event
from infrastructure.settings import DEV_WEBHOOK_SECRET

Outcome = Literal["succeeded", "declined"]
T = TypeVar("T")
UNCANCELABLE = frozenset({IntentStatus.SUCCEEDED, IntentStatus.PROCESSING})


class IdempotencyKeyReusedError(RuntimeError):
    """A key came back with a different request: Stripe's ``idempotency_error``, a bug of ours."""


class FakePaymentGateway:
    def __init__(self, clock: Clock, webhook_secret: str = DEV_WEBHOOK_SECRET) -> None:
        self._clock = clock
        self._secret = webhook_secret
        self._intents: dict[str, FakeIntent] = {}
        self._replies: dict[str, tuple[tuple[Any, ...], Any]] = {}
        self._outbox: list[SignedWebhook] = []

    async def aclose(self) -> None:
        """Nothing to release; shutdown treats every gateway alike."""

    async def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntent:
        request = ("create_intent", amount, currency.lower(), _items(metadata))
        return self._replayed(idempotency_key, request, lambda: self._create(amount, currency, metadata))

    async def retrieve_intent(self, intent_id: str) -> PaymentIntent:
        return _public(self._intent(intent_id))

    async def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        return self._replayed(idempotency_key, ("cancel_intent", intent_id), lambda: self._cancel(intent_id))

    async def refund(self, intent_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str) -> Refund:
        request = ("refund", intent_id, amount, _items(metadata))
        return self._replayed(idempotency_key, request, lambda: self._refund(intent_id, amount, metadata))

    async def list_refunds(self, intent_id: str) -> list[Refund]:
        return list(reversed(self._intent(intent_id).refunds))  # newest first, as Stripe lists them

    async def fee(self, intent_id: str) -> int | None:
        charge = self._intent(intent_id).charge
        return None if charge is None else charge.fee

    def pay(self, intent_id: str, outcome: Outcome = "succeeded") -> list[SignedWebhook]:
        """Confirm the intent with a card that is accepted or declined; returns Stripe's webhook.

        A declined card leaves the intent waiting for another payment method, as on Stripe.
        """
        if outcome not in ("succeeded", "declined"):
            raise ValueError(f"outcome must be 'succeeded' or 'declined', got {outcome!r}")
        intent = self._intent(intent_id)
        if intent.status is not IntentStatus.REQUIRES_PAYMENT_METHOD:
            raise InvalidTransitionError("payment_intent", intent.status, "paid")
        paid = outcome == "succeeded"
        intent.charge = FakeCharge(new_id("ch_"), intent.amount, intent.currency, intent.id, paid, self._now())
        intent.status = IntentStatus.SUCCEEDED if paid else IntentStatus.REQUIRES_PAYMENT_METHOD
        intent.last_error = None if paid else {**DECLINE, "charge": intent.charge.id}
        kind = "payment_intent.succeeded" if paid else "payment_intent.payment_failed"
        return [self._signed(kind, intent.to_stripe())]

    def take_webhooks(self) -> list[SignedWebhook]:
        """The webhooks that refunds and cancellations caused since the last take, oldest first."""
        taken, self._outbox = self._outbox, []
        return taken

    def _create(self, amount: int, currency: str, metadata: Mapping[str, str]) -> PaymentIntent:
        _check_positive(amount)
        intent = FakeIntent(new_id("pi_"), amount, currency.lower(), dict(metadata), self._now())
        self._intents[intent.id] = intent
        return _public(intent)

    def _cancel(self, intent_id: str) -> PaymentIntent:
        intent = self._intent(intent_id)
        if intent.status in UNCANCELABLE:
            raise InvalidTransitionError("payment_intent", intent.status, IntentStatus.CANCELED)
        if intent.status is not IntentStatus.CANCELED:
            intent.status = IntentStatus.CANCELED
            self._outbox.append(self._signed("payment_intent.canceled", intent.to_stripe()))
        return _public(intent)

    def _refund(self, intent_id: str, amount: int, metadata: Mapping[str, str]) -> Refund:
        _check_positive(amount)
        intent = self._intent(intent_id)
        if intent.status is not IntentStatus.SUCCEEDED or intent.charge is None:
            raise InvalidTransitionError("payment_intent", intent.status, "refunded")
        if amount > intent.refundable:
            raise RefundExceedsCapturedError(amount, intent.refundable)
        refund = Refund(new_id("re_"), intent.id, amount, intent.currency, RefundStatus.SUCCEEDED, dict(metadata))
        intent.refunds.append(refund)
        intent.charge.refunded += amount
        self._outbox.append(self._signed("charge.refunded", intent.charge.to_stripe()))
        return refund

    def _replayed(self, key: str, request: tuple[Any, ...], run: Callable[[], T]) -> T:
        """Stripe keeps the first answer to a key, refusals included, and replays it for the same request."""
        if key in self._replies:
            seen, reply = self._replies[key]
            if seen != request:
                raise IdempotencyKeyReusedError(f"idempotency key {key!r} was first used for {seen[0]}")
            if isinstance(reply, Exception):
                raise reply
            return reply
        try:
            reply = run()
        except ConflictError as refusal:  # refused by the state it found: Stripe stores those too
            self._replies[key] = (request, refusal)
            raise
        self._replies[key] = (request, reply)
        return reply

    def _intent(self, intent_id: str) -> FakeIntent:
        try:
            return self._intents[intent_id]
        except KeyError:
            raise NotFoundError("payment_intent", intent_id) from None

    def _signed(self, event_type: str, obj: dict[str, Any]) -> SignedWebhook:
        now = self._clock.now()
        return sign_event(event_envelope(event_type, obj, int(now.timestamp())), self._secret, now)

    def _now(self) -> int:
        return int(self._clock.now().timestamp())


def _public(intent: FakeIntent) -> PaymentIntent:
    return intent_from_stripe(intent.to_stripe())


def _items(metadata: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(metadata.items()))


def _check_positive(amount: int) -> None:
    if amount <= 0:
        raise InvalidValueError("amount", f"must be a positive number of minor units, got {amount}")
