"""The webhook sender against a real HTTP server on loopback, and its guard against sending
tenants' webhooks into our own network."""

from __future__ import annotations

import pytest

from infrastructure.outgoing_http import HttpxWebhookSender
from infrastructure.settings import Settings, SettingsError
from tests.fakes.webhook_receiver import webhook_receiver


async def test_a_private_destination_is_refused_without_a_request_when_denied() -> None:
    async with webhook_receiver() as receiver:
        denied = HttpxWebhookSender(private_targets=False)
        allowed = HttpxWebhookSender(private_targets=True)
        try:
            refused = await denied.post(receiver.url(), b"{}", {"Content-Type": "application/json"})
            sent = await allowed.post(receiver.url(), b"{}", {"Content-Type": "application/json"})
        finally:
            await denied.aclose()
            await allowed.aclose()

    assert refused.status_code is None
    assert refused.error == "not sent: 127.0.0.1 is not a public address"
    assert (sent.status_code, sent.error) == (204, None)
    assert len(receiver.received) == 1  # only the allowed one reached it


@pytest.mark.parametrize("url", ["http://localhost:9/hooks", "http://10.0.0.7/hooks", "http://[::1]:9/hooks"])
async def test_loopback_and_private_names_and_literals_are_all_refused(url: str) -> None:
    sender = HttpxWebhookSender(private_targets=False)
    try:
        answer = await sender.post(url, b"{}", {})
    finally:
        await sender.aclose()
    assert answer.status_code is None
    assert answer.error is not None
    assert answer.error.startswith("not sent: ")


def test_private_targets_are_allowed_in_development_and_denied_in_production_unless_set() -> None:
    assert Settings.from_env({}).allows_private_webhook_targets
    production = {
        "HOLDFAST_ENV": "production",
        "HOLDFAST_PAYMENTS": "stripe",
        "HOLDFAST_STRIPE_API_KEY": "sk_live_123",
        "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_abc",
    }
    assert not Settings.from_env(production).allows_private_webhook_targets
    chosen = {**production, "HOLDFAST_WEBHOOK_PRIVATE_TARGETS": "allow"}
    assert Settings.from_env(chosen).allows_private_webhook_targets
    with pytest.raises(SettingsError, match="HOLDFAST_WEBHOOK_PRIVATE_TARGETS"):
        Settings.from_env({"HOLDFAST_WEBHOOK_PRIVATE_TARGETS": "sometimes"})
