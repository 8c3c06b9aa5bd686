"""Webhook fixtures: Stripe-shaped events signed as Stripe signs them, a recording handler wired
through the container in place of the checkout's, and an operator's API client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from dependency_injector import providers

from application.ports.webhooks import InboxEntry, InboxPageRequest
from domain.webhooks import InboxStatus
from infrastructure.payments.webhook_signing import SignedWebhook, sign_event
from tests.e2e.conftest import World
from tests.fakes.webhooks import RecordingWebhookHandler

STRIPE_PATH = "/v1/webhooks/stripe"
SUCCEEDED = "payment_intent.succeeded"


def stripe_event(event_id: str, created: datetime, event_type: str = SUCCEEDED) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(created.timestamp()),
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": {"id": "pi_3Test", "object": "payment_intent", "amount": 1000, "currency": "eur"}},
    }


@dataclass
class Stripe:
    """Plays Stripe: signs events with the endpoint's secret at the world's clock and POSTs them."""

    world: World

    @property
    def secret(self) -> str:
        return str(self.world.container.settings().webhook_secret)

    def sign(self, event_id: str, event_type: str = SUCCEEDED, **kw: Any) -> SignedWebhook:
        at = kw.pop("at", None) or self.world.clock.now()
        return sign_event(stripe_event(event_id, at, event_type), kw.pop("secret", self.secret), at)

    async def post(self, payload: bytes, headers: dict[str, str]) -> Any:
        return await self.world.client.post(STRIPE_PATH, content=payload, headers=headers)

    async def send(self, event_id: str, event_type: str = SUCCEEDED, **kw: Any) -> Any:
        signed = self.sign(event_id, event_type, **kw)
        return await self.post(signed.payload, signed.headers)


@pytest.fixture
def stripe(world: World) -> Stripe:
    return Stripe(world)


@pytest.fixture
def handler(world: World) -> RecordingWebhookHandler:
    recorder = RecordingWebhookHandler()
    world.container.use_cases.webhook_event_handler.override(providers.Object(recorder))
    return recorder


async def inbox(world: World, status: InboxStatus | None = None) -> list[InboxEntry]:
    """Every stored entry (of one status), read through the use case rather than over HTTP."""
    page = await world.container.use_cases.list_webhook_events()(status, InboxPageRequest(limit=200))
    return page.items


async def entry(world: World, event_id: str) -> InboxEntry:
    found = [item for item in await inbox(world) if item.event_id == event_id]
    assert len(found) == 1, found
    return found[0]


async def retry(world: World) -> list[InboxEntry]:
    """One round of the retry sweep, as the jobs (or the in-process loop) would run it."""
    return await world.container.use_cases.retry_webhook_events()()
