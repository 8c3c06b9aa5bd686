"""The in-process webhook retry loop and its settings."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from application.ports.payments import GatewayEvent
from application.ports.webhooks import InboxEntry
from domain.webhooks import InboxStatus
from infrastructure.settings import Settings, SettingsError
from interfaces.workers.webhook_retry import retry_forever

NOW = datetime(2030, 1, 1, tzinfo=UTC)


async def test_a_failed_round_is_logged_and_the_loop_goes_on() -> None:
    rounds: list[int] = []
    third = asyncio.Event()
    done = InboxEntry(GatewayEvent("evt_1", "x", NOW, {}), InboxStatus.PROCESSED, 1, NOW, NOW)

    async def retry() -> list[InboxEntry]:
        rounds.append(len(rounds))
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise ConnectionError("database restarting")
        return [done]

    loop = asyncio.create_task(retry_forever(retry, 0.001))
    await asyncio.wait_for(third.wait(), 5)
    loop.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await loop
    assert loop.cancelled()


def test_webhook_settings_are_read_and_checked() -> None:
    settings = Settings.from_env({"HOLDFAST_WEBHOOK_RETRY_SECONDS": "0", "HOLDFAST_WEBHOOK_MAX_ATTEMPTS": "3"})
    assert (settings.webhook_retry_seconds, settings.webhook_max_attempts) == (0, 3)
    assert (Settings().webhook_retry_seconds, Settings().webhook_max_attempts) == (10, 8)
    for name, value in (("WEBHOOK_MAX_ATTEMPTS", "0"), ("WEBHOOK_RETRY_SECONDS", "-1")):
        with pytest.raises(SettingsError, match=f"HOLDFAST_{name}"):
            Settings.from_env({f"HOLDFAST_{name}": value})
