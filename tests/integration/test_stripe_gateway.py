"""StripePaymentGateway driving the real SDK against localstripe: what the shared contract cannot show."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from application.ports.payments import IntentStatus
from domain.errors import PaymentDeclinedError, PaymentProviderUnavailableError
from infrastructure.payments.stripe_errors import StripeConfigurationError
from infrastructure.payments.stripe_gateway import StripePaymentGateway
from tests.integration.stripe_customer import API_KEY, RecordingHTTPClient, StripeCustomer
from tests.servers import free_port


@pytest.fixture
async def customer(localstripe_url: str) -> AsyncIterator[StripeCustomer]:
    customer = StripeCustomer(localstripe_url)
    yield customer
    await customer.aclose()


@pytest.fixture
def recorder() -> RecordingHTTPClient:
    return RecordingHTTPClient()


@pytest.fixture
async def gateway(localstripe_url: str, recorder: RecordingHTTPClient) -> AsyncIterator[StripePaymentGateway]:
    gateway = StripePaymentGateway(API_KEY, localstripe_url, max_network_retries=0, http_client=recorder)
    yield gateway
    await gateway.aclose()


async def test_a_declined_card_raises_payment_declined_with_stripes_code(
    gateway: StripePaymentGateway, customer: StripeCustomer
) -> None:
    intent = await gateway.create_intent(amount=2000, currency="eur", metadata={}, idempotency_key=str(uuid4()))
    with pytest.raises(PaymentDeclinedError) as caught:
        await customer.pay(intent.id, "declined")
    assert caught.value.decline_code == "card_declined"
    assert "declined" in caught.value.message


async def test_every_mutating_call_carries_the_callers_idempotency_key(
    gateway: StripePaymentGateway, customer: StripeCustomer, recorder: RecordingHTTPClient
) -> None:
    intent = await gateway.create_intent(amount=2000, currency="eur", metadata={}, idempotency_key="checkout:b-1")
    await customer.pay(intent.id, "succeeded")
    await gateway.refund(intent.id, amount=500, metadata={}, idempotency_key="refund:b-1:1")
    other = await gateway.create_intent(amount=900, currency="eur", metadata={}, idempotency_key="checkout:b-2")
    await gateway.cancel_intent(other.id, idempotency_key="cancel:b-2")
    posts = [(path, headers.get("Idempotency-Key")) for method, path, headers in recorder.sent if method == "POST"]
    assert posts == [
        ("v1/payment_intents", "checkout:b-1"),
        ("v1/refunds", "refund:b-1:1"),
        ("v1/payment_intents", "checkout:b-2"),
        (f"v1/payment_intents/{other.id}/cancel", "cancel:b-2"),
    ]


async def test_the_fee_is_read_from_the_charges_balance_transaction(
    gateway: StripePaymentGateway, customer: StripeCustomer
) -> None:
    intent = await gateway.create_intent(amount=2000, currency="eur", metadata={}, idempotency_key=str(uuid4()))
    await customer.pay(intent.id, "succeeded")
    assert (await gateway.retrieve_intent(intent.id)).status is IntentStatus.SUCCEEDED
    assert await gateway.fee(intent.id) == 0  # localstripe's balance transactions carry no fee, but are read


async def test_a_key_stripe_refuses_is_a_configuration_error_not_an_outage(localstripe_url: str) -> None:
    gateway = StripePaymentGateway("pk_test_not_a_secret_key", localstripe_url, max_network_retries=0)
    try:
        with pytest.raises(StripeConfigurationError, match="HOLDFAST_STRIPE_API_KEY"):
            await gateway.retrieve_intent("pi_anything")
    finally:
        await gateway.aclose()


async def test_an_unreachable_stripe_is_a_retryable_outage() -> None:
    gateway = StripePaymentGateway(API_KEY, f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    try:
        with pytest.raises(PaymentProviderUnavailableError) as caught:
            await gateway.create_intent(amount=100, currency="eur", metadata={}, idempotency_key=str(uuid4()))
    finally:
        await gateway.aclose()
    assert caught.value.__cause__ is not None
