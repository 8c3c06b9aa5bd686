"""The container picks the gateway from the settings, and signs and verifies webhooks on Core's clock."""

from __future__ import annotations

from infrastructure.container import build_container, close_container
from infrastructure.payments.fake import FakePaymentGateway
from infrastructure.payments.stripe_gateway import StripePaymentGateway
from infrastructure.settings import Settings
from tests.fakes.clock import FakeClock

STRIPE = {
    "HOLDFAST_PAYMENTS": "stripe",
    "HOLDFAST_STRIPE_API_KEY": "sk_test_wiring",
    "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_wiring",
}


async def test_the_embedded_default_pays_with_the_fake_whose_webhooks_the_verifier_accepts(sqlite_url: str) -> None:
    container = build_container(Settings.from_env({"HOLDFAST_DATABASE_URL": sqlite_url}))
    clock = FakeClock()
    container.core.clock.override(clock)
    fake = container.gateways.payments()
    assert isinstance(fake, FakePaymentGateway)
    intent = await fake.create_intent(amount=100, currency="eur", metadata={}, idempotency_key="k")
    [webhook] = await fake.pay(intent.id)
    clock.advance(299)
    event = container.gateways.webhook_verifier().verify(webhook.payload, webhook.signature)
    assert event.object["id"] == intent.id
    await close_container(container)


async def test_the_stripe_profile_pays_with_stripe() -> None:
    container = build_container(Settings.from_env(STRIPE))
    assert isinstance(container.gateways.payments(), StripePaymentGateway)
    await close_container(container)
