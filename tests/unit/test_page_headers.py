"""The pages' security headers (interfaces/web/headers.py) and their one setting."""

from __future__ import annotations

import pytest

from infrastructure.settings import Settings, SettingsError
from interfaces.web.headers import page_headers


def test_by_default_no_one_may_frame_the_pages() -> None:
    headers = dict(page_headers(Settings.from_env({}).frame_ancestors))
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self';" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_a_shop_may_be_allowed_to_embed_them() -> None:
    allowed = Settings.from_env({"HOLDFAST_FRAME_ANCESTORS": "'self' https://shop.example"}).frame_ancestors
    headers = dict(page_headers(allowed))
    assert "frame-ancestors 'self' https://shop.example" in headers["content-security-policy"]
    assert "x-frame-options" not in headers  # it cannot name another origin: the CSP decides


@pytest.mark.parametrize("value", ["'self'; script-src *", "https://a.example, https://b.example"])
def test_a_value_that_would_inject_another_directive_stops_the_start(value: str) -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_FRAME_ANCESTORS"):
        Settings.from_env({"HOLDFAST_FRAME_ANCESTORS": value})
