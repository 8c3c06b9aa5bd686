"""The webhook retry settings (the retries themselves run as the ``retry_webhook_events`` job)."""

from __future__ import annotations

import pytest

from infrastructure.settings import Settings, SettingsError


def test_webhook_settings_are_read_and_checked() -> None:
    settings = Settings.from_env({"HOLDFAST_WEBHOOK_RETRY_SECONDS": "0", "HOLDFAST_WEBHOOK_MAX_ATTEMPTS": "3"})
    assert (settings.webhook_retry_seconds, settings.webhook_max_attempts) == (0, 3)
    assert (Settings().webhook_retry_seconds, Settings().webhook_max_attempts) == (10, 8)
    for name, value in (("WEBHOOK_MAX_ATTEMPTS", "0"), ("WEBHOOK_RETRY_SECONDS", "-1")):
        with pytest.raises(SettingsError, match=f"HOLDFAST_{name}"):
            Settings.from_env({f"HOLDFAST_{name}": value})
