"""The fake gateway keeps Stripe's promises that localstripe cannot show: replays, refund caps, fees.

It keeps its account in the system of record; here a SQLite database of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from application.ports.payments import IntentStatus
from domain.errors import InvalidTransitionError, NotFoundError, RefundExceedsCapturedError
from infrastructure.payments.fake import FakePaymentGateway, IdempotencyKeyReusedError
from infrastructure.payments.stripe_webhooks import StripeWebhookVerifier
from infrastructure.persistence.database import Database
from tests.fakes.clock import FakeClock

SECRET = "whsec_unit"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture
def fake(database: Database, clock: FakeClock) -> FakePaymentGateway:
    return FakePaymentGateway(database, clock, SECRET)


async def paid_intent(fake: FakePaymentGateway, amount: int = 10_000) -> str:
    intent = await fake.create_intent(amount=amount, currency="eur", metadata={}, idempotency_key=f"c:{amount}")
    await fake.pay(intent.id)
    return intent.id


async def test_the_same_key_and_request_replays_the_first_intent(fake: FakePaymentGateway) -> None:
    first = await fake.create_intent(amount=1500, currency="eur", metadata={"b": "1"}, idempotency_key="k")
    again = await fake.create_intent(amount=1500, currency="EUR", metadata={"b": "1"}, idempotency_key="k")
    other = await fake.create_intent(amount=1500, currency="eur", metadata={"b": "1"}, idempotency_key="k2")
    assert again == first
    assert other.id != first.id
    assert other.client_secret != first.client_secret


async def test_a_key_reused_for_another_request_is_refused(fake: FakePaymentGateway) -> None:
    await fake.create_intent(amount=1500, currency="eur", metadata={}, idempotency_key="k")
    with pytest.raises(IdempotencyKeyReusedError, match="create_intent"):
        await fake.create_intent(amount=1600, currency="eur", metadata={}, idempotency_key="k")


async def test_a_payment_receives_the_amount_and_costs_a_stripe_like_fee(fake: FakePaymentGateway) -> None:
    intent_id = await paid_intent(fake, 10_000)
    intent = await fake.retrieve_intent(intent_id)
    assert (intent.status, intent.amount_received) == (IntentStatus.SUCCEEDED, 10_000)
    assert await fake.fee(intent_id) == 165  # 1.4 % + 25
    assert await fake.fee(await paid_intent(fake, 1_250)) == 43  # 17.5 rounds half up to 18, + 25


async def test_a_declined_card_can_be_followed_by_a_good_one(fake: FakePaymentGateway) -> None:
    intent = await fake.create_intent(amount=1500, currency="eur", metadata={}, idempotency_key="k")
    [failed] = await fake.pay(intent.id, "declined")
    assert failed.event["type"] == "payment_intent.payment_failed"
    assert failed.event["data"]["object"]["last_payment_error"]["decline_code"] == "generic_decline"
    assert (await fake.retrieve_intent(intent.id)).amount_received == 0
    [succeeded] = await fake.pay(intent.id, "succeeded")
    assert succeeded.event["data"]["object"]["amount_received"] == 1500
    assert (await fake.retrieve_intent(intent.id)).last_error is None


async def test_the_payment_webhook_is_what_retrieve_says_and_verifies(
    fake: FakePaymentGateway, clock: FakeClock
) -> None:
    intent = await fake.create_intent(amount=1500, currency="eur", metadata={"b": "1"}, idempotency_key="k")
    [webhook] = await fake.pay(intent.id)
    event = StripeWebhookVerifier(SECRET, clock).verify(webhook.payload, webhook.headers["Stripe-Signature"])
    assert event.type == "payment_intent.succeeded"
    assert event.created == clock.now()
    assert event.object["id"] == intent.id
    assert event.object["status"] == "succeeded"
    assert event.object["latest_charge"] == (await fake.retrieve_intent(intent.id)).latest_charge


async def test_refunds_never_exceed_what_was_received(fake: FakePaymentGateway) -> None:
    intent_id = await paid_intent(fake, 1000)
    await fake.refund(intent_id, amount=600, metadata={}, idempotency_key="r1")
    with pytest.raises(RefundExceedsCapturedError) as caught:
        await fake.refund(intent_id, amount=401, metadata={}, idempotency_key="r2")
    assert (caught.value.asked, caught.value.refundable) == (401, 400)
    await fake.refund(intent_id, amount=400, metadata={}, idempotency_key="r3")
    with pytest.raises(RefundExceedsCapturedError):
        await fake.refund(intent_id, amount=1, metadata={}, idempotency_key="r4")
    assert [refund.amount for refund in await fake.list_refunds(intent_id)] == [400, 600]  # newest first


async def test_a_replayed_refund_refunds_once(fake: FakePaymentGateway) -> None:
    intent_id = await paid_intent(fake, 1000)
    first = await fake.refund(intent_id, amount=700, metadata={}, idempotency_key="r")
    assert await fake.refund(intent_id, amount=700, metadata={}, idempotency_key="r") == first
    assert await fake.list_refunds(intent_id) == [first]
    assert len(await fake.take_webhooks()) == 1


async def test_a_refusal_is_replayed_too_as_stripe_stores_it(fake: FakePaymentGateway) -> None:
    intent = await fake.create_intent(amount=1000, currency="eur", metadata={}, idempotency_key="c")
    with pytest.raises(InvalidTransitionError):
        await fake.refund(intent.id, amount=100, metadata={}, idempotency_key="r")
    await fake.pay(intent.id)
    with pytest.raises(InvalidTransitionError):
        await fake.refund(intent.id, amount=100, metadata={}, idempotency_key="r")
    assert (await fake.refund(intent.id, amount=100, metadata={}, idempotency_key="r-2")).amount == 100


async def test_refunds_and_cancellations_queue_their_webhooks(fake: FakePaymentGateway) -> None:
    intent_id = await paid_intent(fake, 1000)
    await fake.refund(intent_id, amount=1000, metadata={}, idempotency_key="r")
    unpaid = await fake.create_intent(amount=500, currency="eur", metadata={}, idempotency_key="c2")
    await fake.cancel_intent(unpaid.id, idempotency_key="x1")
    await fake.cancel_intent(unpaid.id, idempotency_key="x2")  # already cancelled: nothing new
    refunded, cancelled = (webhook.event for webhook in await fake.take_webhooks())
    assert refunded["type"] == "charge.refunded"
    assert refunded["data"]["object"]["amount_refunded"] == 1000
    assert refunded["data"]["object"]["refunded"] is True
    assert (cancelled["type"], cancelled["data"]["object"]["id"]) == ("payment_intent.canceled", unpaid.id)
    assert await fake.take_webhooks() == []


async def test_only_an_intent_awaiting_payment_can_be_paid(fake: FakePaymentGateway) -> None:
    intent_id = await paid_intent(fake)
    with pytest.raises(InvalidTransitionError):
        await fake.pay(intent_id)
    with pytest.raises(ValueError, match="outcome"):
        await fake.pay(intent_id, "maybe")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await fake.pay("pi_missing")
