"""The console's sign-in form is rate-limited as /v1/auth/login is: per client address, in the
``auth`` class (a password guessed through the form costs what one guessed through the API does)."""

from __future__ import annotations

from interfaces.http.rate_limits import route_class


def test_the_console_sign_in_counts_as_auth() -> None:
    assert route_class("POST", "/console/login", public=True) == "auth"
    assert route_class("POST", "/v1/auth/login", public=True) == "auth"
    assert route_class("POST", "/console/jobs/dead-letters/x/replay", public=False) == "writes"
