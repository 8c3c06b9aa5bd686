"""A payment gateway that behaves like Stripe for everything the port exposes, with no network.

It serves the embedded default, the local stacks and the tests: intents with Stripe-style ids
and client secrets, idempotency keys replayed as Stripe replays them, cancellation, refunds
capped at what is left, Stripe-like fees. ``pay`` plays the customer (what Stripe.js does in
the browser) and returns the webhook Stripe would send; refunds and cancellations queue theirs
for ``take_webhooks``. Every webhook is signed exactly as Stripe signs, at the injected clock's
time, so the real ``StripeWebhookVerifier`` accepts them and tests that move the clock see them
go stale.

Its "Stripe account" lives in tables of the system of record (``fake_tables``), written in
transactions of its own: every API and worker process of a deployment sees the same intents,
so a checkout on one API is paid, cancelled, refunded or expired on any other, as with Stripe.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from application.ports.clock import Clock
from application.ports.payments import IntentStatus, PaymentIntent, Refund, RefundStatus
from domain.errors import (
    InvalidTransitionError,
    InvalidValueError,
    RefundExceedsCapturedError,
)
from infrastructure.payments.fake_records import (
    DECLINE,
    FakeCharge,
    FakeIntent,
    event_envelope,
    new_id,
    refund_to_stripe,
)
from infrastructure.payments.fake_store import FakeStripeRecords
from infrastructure.payments.stripe_mapping import intent_from_stripe, refund_from_stripe
from infrastructure.payments.webhook_signing import SignedWebhook, sign_event
from infrastructure.persistence.database import Database
from infrastructure.settings import DEV_WEBHOOK_SECRET

Outcome = Literal["succeeded", "declined"]
Rendering = dict[str, Any]  # an object as Stripe's JSON renders it
UNCANCELABLE = frozenset({IntentStatus.SUCCEEDED, IntentStatus.PROCESSING})


class IdempotencyKeyReusedError(RuntimeError):
    """A key came back with a different request: Stripe's ``idempotency_error``, a bug of ours."""


class FakePaymentGateway:
    def __init__(self, database: Database, clock: Clock, webhook_secret: str = DEV_WEBHOOK_SECRET) -> None:
        self._db = database
        self._clock = clock
        self._secret = webhook_secret

    async def aclose(self) -> None:
        """Nothing to release: the database belongs to the container."""

    async def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntent:
        request = ["create_intent", amount, currency.lower(), _items(metadata)]
        created = await self._replayed(idempotency_key, request, lambda s: self._create(s, amount, currency, metadata))
        return intent_from_stripe(created)

    async def retrieve_intent(self, intent_id: str) -> PaymentIntent:
        return _public(await self._read(intent_id))

    async def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        request = ["cancel_intent", intent_id]
        cancelled = await self._replayed(idempotency_key, request, lambda s: self._cancel(s, intent_id))
        return intent_from_stripe(cancelled)

    async def refund(self, intent_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str) -> Refund:
        request = ["refund", intent_id, amount, _items(metadata)]
        made = await self._replayed(idempotency_key, request, lambda s: self._refund(s, intent_id, amount, metadata))
        return refund_from_stripe(made, intent_id)

    async def list_refunds(self, intent_id: str) -> list[Refund]:
        return list(reversed((await self._read(intent_id)).refunds))  # newest first, as Stripe lists them

    async def fee(self, intent_id: str) -> int | None:
        charge = (await self._read(intent_id)).charge
        return None if charge is None else charge.fee

    async def pay(self, intent_id: str, outcome: Outcome = "succeeded") -> list[SignedWebhook]:
        """Confirm the intent with a card that is accepted or declined; returns Stripe's webhook.

        A declined card leaves the intent waiting for another payment method, as on Stripe.
        """
        if outcome not in ("succeeded", "declined"):
            raise ValueError(f"outcome must be 'succeeded' or 'declined', got {outcome!r}")
        async with self._db.detached() as session:
            records = FakeStripeRecords(session)
            intent = await records.intent(intent_id, lock=True)
            if intent.status is not IntentStatus.REQUIRES_PAYMENT_METHOD:
                raise InvalidTransitionError("payment_intent", intent.status, "paid")
            paid = outcome == "succeeded"
            intent.charge = FakeCharge(new_id("ch_"), intent.amount, intent.currency, intent.id, paid, self._now())
            intent.status = IntentStatus.SUCCEEDED if paid else IntentStatus.REQUIRES_PAYMENT_METHOD
            intent.last_error = None if paid else {**DECLINE, "charge": intent.charge.id}
            await records.add_charge(intent.charge)
            await records.save_intent(intent)
        kind = "payment_intent.succeeded" if paid else "payment_intent.payment_failed"
        return [self._signed(kind, intent.to_stripe())]

    async def take_webhooks(self) -> list[SignedWebhook]:
        """The webhooks that refunds and cancellations caused since the last take, oldest first
        (whichever process made them)."""
        async with self._db.detached() as session:
            return await FakeStripeRecords(session).take_webhooks()

    async def _create(
        self, records: FakeStripeRecords, amount: int, currency: str, metadata: Mapping[str, str]
    ) -> Rendering:
        _check_positive(amount)
        intent = FakeIntent(new_id("pi_"), amount, currency.lower(), dict(metadata), self._now())
        await records.add_intent(intent)
        return intent.to_stripe()

    async def _cancel(self, records: FakeStripeRecords, intent_id: str) -> Rendering:
        intent = await records.intent(intent_id, lock=True)
        if intent.status in UNCANCELABLE:
            raise InvalidTransitionError("payment_intent", intent.status, IntentStatus.CANCELED)
        if intent.status is not IntentStatus.CANCELED:
            intent.status = IntentStatus.CANCELED
            await records.save_intent(intent)
            await records.queue(self._signed("payment_intent.canceled", intent.to_stripe()), self._clock.now())
        return intent.to_stripe()

    async def _refund(
        self, records: FakeStripeRecords, intent_id: str, amount: int, metadata: Mapping[str, str]
    ) -> Rendering:
        _check_positive(amount)
        intent = await records.intent(intent_id, lock=True)
        if intent.status is not IntentStatus.SUCCEEDED or intent.charge is None:
            raise InvalidTransitionError("payment_intent", intent.status, "refunded")
        if amount > intent.refundable:
            raise RefundExceedsCapturedError(amount, intent.refundable)
        refund = Refund(new_id("re_"), intent.id, amount, intent.currency, RefundStatus.SUCCEEDED, dict(metadata))
        await records.add_refund(intent, refund)
        assert intent.charge is not None
        await records.queue(self._signed("charge.refunded", intent.charge.to_stripe()), self._clock.now())
        return refund_to_stripe(refund)

    async def _replayed(
        self, key: str, request: list[Any], run: Callable[[FakeStripeRecords], Awaitable[Rendering]]
    ) -> Rendering:
        """Stripe keeps the first answer to a key, refusals included, and replays it for the same
        request. The key is claimed in the transaction that acts, so of concurrent callers with
        one key, one acts and the others get its answer."""
        canonical = json.dumps(request)
        async with self._db.detached() as session:
            records = FakeStripeRecords(session)
            if await records.claim_key(key, canonical):
                seen, reply = canonical, await _answer_of(run(records))
                await records.keep_reply(key, reply)
            else:
                seen, reply = await records.reply(key)
        if seen != canonical:
            raise IdempotencyKeyReusedError(f"idempotency key {key!r} was first used for {json.loads(seen)[0]}")
        return _replay(reply)

    async def _read(self, intent_id: str) -> FakeIntent:
        async with self._db.sessions() as session:  # a read needs no writer's turn, on SQLite either
            return await FakeStripeRecords(session).intent(intent_id)

    def _signed(self, event_type: str, obj: dict[str, Any]) -> SignedWebhook:
        now = self._clock.now()
        return sign_event(event_envelope(event_type, obj, int(now.timestamp())), self._secret, now)

    def _now(self) -> int:
        return int(self._clock.now().timestamp())


async def _answer_of(work: Awaitable[Rendering]) -> dict[str, Any]:
    """The answer to keep for a key: the object made, or a refusal by the state it found (Stripe
    stores those too). Other errors (not found, bad amount) keep nothing: the key stays free."""
    try:
        return {"object": await work}
    except InvalidTransitionError as refusal:
        return {"refused": "invalid_transition", "current": refusal.current, "target": refusal.target}
    except RefundExceedsCapturedError as refusal:
        return {"refused": "refund_exceeds_captured", "asked": refusal.asked, "refundable": refusal.refundable}


def _replay(reply: Mapping[str, Any]) -> Rendering:
    refused = reply.get("refused")
    if refused == "invalid_transition":
        raise InvalidTransitionError("payment_intent", reply["current"], reply["target"])
    if refused == "refund_exceeds_captured":
        raise RefundExceedsCapturedError(reply["asked"], reply["refundable"])
    return dict(reply["object"])


def _public(intent: FakeIntent) -> PaymentIntent:
    return intent_from_stripe(intent.to_stripe())


def _items(metadata: Mapping[str, str]) -> list[list[str]]:
    return [list(item) for item in sorted(metadata.items())]


def _check_positive(amount: int) -> None:
    if amount <= 0:
        raise InvalidValueError("amount", f"must be a positive number of minor units, got {amount}")
