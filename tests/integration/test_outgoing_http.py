"""The webhook sender against a real HTTP server on loopback, and its guard against sending
tenants' webhooks into our own network."""

from __future__ import annotations

import pytest

from infrastructure.outgoing_http import HttpxWebhookSender
from infrastructure.settings import Settings, SettingsError
from tests.fakes.webhook_receiver import webhook_receiver


async def test_a_private_destination_is_refused_without_a_request_when_denied() -> None:
    async with webhook_receiver() as receiver:
        denied = HttpxWebhookSender(private_targets=False, plain_http=True)
        allowed = HttpxWebhookSender(private_targets=True, plain_http=True)
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
    sender = HttpxWebhookSender(private_targets=False, plain_http=True)
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
        "HOLDFAST_QUEUE_PASS_SECRET": "queue-pass-secret-for-tests-only-0123456789",
        "HOLDFAST_JWT_KEYS": "k1:" + "s" * 32,
    }
    assert not Settings.from_env(production).allows_private_webhook_targets
    chosen = {**production, "HOLDFAST_WEBHOOK_PRIVATE_TARGETS": "allow"}
    assert Settings.from_env(chosen).allows_private_webhook_targets
    with pytest.raises(SettingsError, match="HOLDFAST_WEBHOOK_PRIVATE_TARGETS"):
        Settings.from_env({"HOLDFAST_WEBHOOK_PRIVATE_TARGETS": "sometimes"})


class _Dns:
    """A resolver that answers from a script, one answer per lookup, and counts the lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers, self.lookups = list(answers), 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        return self.answers.pop(0)


async def test_the_post_goes_to_the_address_checked_with_the_url_s_host_name() -> None:
    """The sender connects to the address it resolved and checked, never resolving the name
    again: the name below exists in no DNS, so only the checked address can be reached."""
    async with webhook_receiver() as receiver:
        port = receiver.url().split(":")[2].split("/")[0]
        dns = _Dns(["127.0.0.1"])
        sender = HttpxWebhookSender(private_targets=True, plain_http=True, resolver=dns)
        try:
            answer = await sender.post(f"http://hooks.tenant.invalid:{port}/hooks", b"{}", {})
        finally:
            await sender.aclose()

    assert (answer.status_code, answer.error) == (204, None)
    assert dns.lookups == 1
    assert receiver.received[0].headers["host"] == f"hooks.tenant.invalid:{port}"


async def test_a_name_rebound_to_a_private_address_after_the_check_is_never_reached() -> None:
    """DNS rebinding: public to the check, loopback to a second lookup. There is no second lookup."""
    async with webhook_receiver() as receiver:
        port = receiver.url().split(":")[2].split("/")[0]
        dns = _Dns(["93.184.216.34"], ["127.0.0.1"])  # a public address (nothing answers there from here)
        sender = HttpxWebhookSender(private_targets=False, plain_http=True, resolver=dns, connect_seconds=0.5)
        try:
            answer = await sender.post(f"http://rebind.tenant.invalid:{port}/hooks", b"{}", {})
        finally:
            await sender.aclose()

    assert dns.lookups == 1
    assert receiver.received == []
    assert answer.status_code is None


async def test_plain_http_is_refused_unless_allowed() -> None:
    sender = HttpxWebhookSender(private_targets=True, plain_http=False)
    try:
        answer = await sender.post("http://127.0.0.1:9/hooks", b"{}", {})
    finally:
        await sender.aclose()
    assert answer.error == "not sent: plain http:// is refused here: use https://"
