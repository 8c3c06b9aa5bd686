"""One contract for every payment gateway: the fake, and Stripe's SDK against localstripe.

Both run the same tests, so "the fake behaves like Stripe" is checked, not assumed. The fake runs
twice: on SQLite as the embedded default serves it, and as two gateways of two processes over one
Postgres database, each call going to the other one (as calls land on any API of a deployment). Only what
localstripe models faithfully is here. It omits ``amount_received``, ignores idempotency keys,
lets refunds exceed the charge and charges no fees, so those are pinned down on the fake
(tests/unit/test_fake_payments.py) and on Stripe's documented JSON (tests/unit/test_stripe_mapping.py).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from uuid import uuid4

import pytest

from application.ports.payments import IntentStatus, PaymentGateway, RefundStatus
from domain.errors import InvalidTransitionError, InvalidValueError, NotFoundError, PaymentDeclinedError
from infrastructure.payments.fake import FakePaymentGateway, Outcome
from infrastructure.payments.stripe_gateway import StripePaymentGateway
from infrastructure.persistence.database import Database
from tests.databases import migrated_postgres
from tests.fakes.clock import FakeClock
from tests.integration.stripe_customer import API_KEY, StripeCustomer

UNKNOWN = "pi_0000000000000000missing"


@dataclass
class Gateway:
    port: PaymentGateway
    pay: Callable[[str, Outcome], Awaitable[None]]  # the customer confirms with a good or a declined card


SHARED_DATABASE = "holdfast_fake_gateway"


class Alternating:
    """Each port call goes to the next of several gateways: processes sharing one database."""

    def __init__(self, gateways: list[FakePaymentGateway]) -> None:
        self._next = itertools.cycle(gateways)

    def __getattr__(self, name: str) -> Any:
        return getattr(next(self._next), name)


@pytest.fixture(params=["fake", "fake-shared", "stripe"])
async def gateway(request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    if request.param.startswith("fake"):
        if request.param == "fake":
            databases = [Database(request.getfixturevalue("sqlite_url"))]
        else:
            url = migrated_postgres(request.getfixturevalue("postgres_url"), SHARED_DATABASE)
            databases = [Database(url, pool_size=2), Database(url, pool_size=2)]
        fakes = [FakePaymentGateway(database, FakeClock()) for database in databases]
        port, customer = Alternating(fakes), Alternating(list(reversed(fakes)))

        async def pay_fake(intent_id: str, outcome: Outcome) -> None:
            await customer.pay(intent_id, outcome)

        yield Gateway(cast(PaymentGateway, port), pay_fake)
        for database in databases:
            await database.dispose()
        return
    url = request.getfixturevalue("localstripe_url")
    stripe_gateway, customer = StripePaymentGateway(API_KEY, url, max_network_retries=0), StripeCustomer(url)

    async def pay_stripe(intent_id: str, outcome: Outcome) -> None:
        with contextlib.suppress(PaymentDeclinedError):  # Stripe.js shows it; the server learns by webhook
            await customer.pay(intent_id, outcome)

    yield Gateway(stripe_gateway, pay_stripe)
    await customer.aclose()
    await stripe_gateway.aclose()


def key() -> str:
    return f"test:{uuid4()}"


async def new_intent(gateway: Gateway, amount: int = 1500) -> str:
    intent = await gateway.port.create_intent(
        amount=amount, currency="EUR", metadata={"booking_id": "b-1"}, idempotency_key=key()
    )
    return intent.id


async def test_a_new_intent_awaits_a_payment_method_and_carries_its_client_secret(gateway: Gateway) -> None:
    created = await gateway.port.create_intent(
        amount=1500, currency="EUR", metadata={"booking_id": "b-1"}, idempotency_key=key()
    )
    assert created.id.startswith("pi_")
    assert created.client_secret is not None
    assert created.client_secret.startswith(f"{created.id}_secret_")
    assert (created.status, created.amount, created.currency) == (IntentStatus.REQUIRES_PAYMENT_METHOD, 1500, "eur")
    assert dict(created.metadata) == {"booking_id": "b-1"}
    assert (created.amount_received, created.latest_charge, created.last_error) == (0, None, None)
    assert await gateway.port.retrieve_intent(created.id) == created


async def test_a_paid_intent_succeeds_with_a_charge_and_a_known_fee(gateway: Gateway) -> None:
    intent_id = await new_intent(gateway)
    assert await gateway.port.fee(intent_id) is None
    await gateway.pay(intent_id, "succeeded")
    paid = await gateway.port.retrieve_intent(intent_id)
    assert paid.status is IntentStatus.SUCCEEDED
    assert paid.latest_charge is not None
    assert paid.latest_charge.startswith("ch_")
    assert paid.last_error is None
    fee = await gateway.port.fee(intent_id)
    assert isinstance(fee, int)
    assert fee >= 0


async def test_a_declined_card_leaves_the_intent_awaiting_another_method(gateway: Gateway) -> None:
    intent_id = await new_intent(gateway)
    await gateway.pay(intent_id, "declined")
    declined = await gateway.port.retrieve_intent(intent_id)
    assert (declined.status, declined.last_error) == (IntentStatus.REQUIRES_PAYMENT_METHOD, "card_declined")
    assert await gateway.port.fee(intent_id) is None


async def test_partial_then_full_refunds_are_listed(gateway: Gateway) -> None:
    intent_id = await new_intent(gateway)
    await gateway.pay(intent_id, "succeeded")
    first = await gateway.port.refund(intent_id, amount=500, metadata={"reason": "seat"}, idempotency_key=key())
    assert (first.id[:3], first.payment_intent_id, first.amount) == ("re_", intent_id, 500)
    assert (first.currency, first.status, dict(first.metadata)) == ("eur", RefundStatus.SUCCEEDED, {"reason": "seat"})
    rest = await gateway.port.refund(intent_id, amount=1000, metadata={}, idempotency_key=key())
    listed = await gateway.port.list_refunds(intent_id)
    assert sorted(listed, key=lambda refund: refund.amount) == [first, rest]


async def test_an_unpaid_intent_is_cancelled_and_cancelling_again_changes_nothing(gateway: Gateway) -> None:
    intent_id = await new_intent(gateway)
    cancelled = await gateway.port.cancel_intent(intent_id, idempotency_key=key())
    assert cancelled.status is IntentStatus.CANCELED
    assert await gateway.port.cancel_intent(intent_id, idempotency_key=key()) == cancelled
    assert await gateway.port.retrieve_intent(intent_id) == cancelled


async def test_a_paid_intent_cannot_be_cancelled(gateway: Gateway) -> None:
    intent_id = await new_intent(gateway)
    await gateway.pay(intent_id, "succeeded")
    with pytest.raises(InvalidTransitionError):
        await gateway.port.cancel_intent(intent_id, idempotency_key=key())
    assert (await gateway.port.retrieve_intent(intent_id)).status is IntentStatus.SUCCEEDED


async def test_an_unpaid_intent_cannot_be_refunded(gateway: Gateway) -> None:
    intent_id = await new_intent(gateway)
    with pytest.raises(InvalidTransitionError):
        await gateway.port.refund(intent_id, amount=100, metadata={}, idempotency_key=key())


async def test_amounts_must_be_positive(gateway: Gateway) -> None:
    with pytest.raises(InvalidValueError, match="amount"):
        await gateway.port.create_intent(amount=0, currency="eur", metadata={}, idempotency_key=key())
    intent_id = await new_intent(gateway)
    await gateway.pay(intent_id, "succeeded")
    with pytest.raises(InvalidValueError, match="amount"):
        await gateway.port.refund(intent_id, amount=-5, metadata={}, idempotency_key=key())


@pytest.mark.parametrize(
    "call",
    [
        lambda port: port.retrieve_intent(UNKNOWN),
        lambda port: port.cancel_intent(UNKNOWN, idempotency_key=key()),
        lambda port: port.refund(UNKNOWN, amount=100, metadata={}, idempotency_key=key()),
        lambda port: port.list_refunds(UNKNOWN),
        lambda port: port.fee(UNKNOWN),
    ],
    ids=["retrieve", "cancel", "refund", "list_refunds", "fee"],
)
async def test_an_unknown_intent_is_not_found(
    gateway: Gateway, call: Callable[[PaymentGateway], Awaitable[object]]
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await call(gateway.port)
    assert (caught.value.kind, caught.value.ident) == ("payment_intent", UNKNOWN)
