"""Rate limits at the edge, without servers: the settings' bucket specs, route classes, and the
client address (trusted proxies only)."""

from __future__ import annotations

from typing import Any

import pytest

from application.ports.rate_limits import RateRule
from application.use_cases.check_rate_limit import ROUTE_CLASSES
from infrastructure.settings import Settings, SettingsError
from interfaces.http.client_address import client_address, trusted_networks
from interfaces.http.rate_limits import route_class


def test_the_defaults_limit_every_class_generously() -> None:
    assert Settings.from_env({}).rate_rules == {
        "auth": RateRule(100, 10.0),
        "holds": RateRule(5000, 1000.0),
        "writes": RateRule(2000, 200.0),
        "reads": RateRule(5000, 1000.0),
        "queue": RateRule(2000, 200.0),
        "public": RateRule(500, 50.0),
    }
    assert set(Settings().rate_rules) == set(ROUTE_CLASSES)
    assert Settings().rate_limit_store == "memory"
    assert Settings(redis_url="redis://localhost:6379/0").rate_limit_store == "redis"


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("200/s burst 400", RateRule(400, 200.0)),
        ("10/m", RateRule(10, 10 / 60)),
        (" 3600 / H  BURST 10 ", RateRule(10, 1.0)),
        ("5/s", RateRule(5, 5.0)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_a_class_s_spec_is_a_rate_and_a_burst_or_off(spec: str, rule: RateRule | None) -> None:
    assert Settings.from_env({"HOLDFAST_RATE_LIMIT_HOLDS": spec}).rate_rules["holds"] == rule


@pytest.mark.parametrize("spec", ["200", "0/s", "5/d", "5/s burst 0", "5/s burst", "fast", "-1/s", "1.5/s"])
def test_a_bad_spec_stops_the_start_naming_its_variable(spec: str) -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_RATE_LIMIT_QUEUE"):
        Settings.from_env({"HOLDFAST_RATE_LIMIT_QUEUE": spec})


def test_rate_limits_can_be_turned_off_altogether() -> None:
    assert set(Settings.from_env({"HOLDFAST_RATE_LIMITS": "false"}).rate_rules.values()) == {None}


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings.from_env({"HOLDFAST_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,::1"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7", "::1")
    with pytest.raises(SettingsError, match="HOLDFAST_TRUSTED_PROXIES"):
        Settings.from_env({"HOLDFAST_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"})


@pytest.mark.parametrize(
    ("method", "path", "public", "expected"),
    [
        ("POST", "/v1/auth/login", True, "auth"),
        ("POST", "/v1/auth/refresh", True, "auth"),
        ("GET", "/v1/auth/me", False, "reads"),  # signed in: counted as any other read
        ("POST", "/v1/holds", False, "holds"),
        ("POST", "/v1/holds/", False, "holds"),
        ("POST", "/v1/bookings", False, "holds"),
        ("POST", "/v1/holds/3f0c/release", False, "writes"),
        ("DELETE", "/v1/holds/3f0c", False, "writes"),
        ("PATCH", "/v1/listings/3f0c", False, "writes"),
        ("GET", "/v1/holds", False, "reads"),
        ("HEAD", "/v1/listings", False, "reads"),
        ("POST", "/v1/listings/3f0c/queue", False, "queue"),
        ("GET", "/v1/listings/3f0c/queue/7a1b", False, "queue"),
        ("GET", "/v1/listings/3f0c/queued", False, "reads"),
        ("GET", "/v1/public/acme/listings", True, "public"),  # no key: by client address alone
        ("GET", "/v1/public/acme/listings/3f0c/availability", True, "public"),
    ],
)
def test_route_classes(method: str, path: str, public: bool, expected: str) -> None:
    assert route_class(method, path, public) == expected


def _scope(peer: str | None, *forwarded: str) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"client": (peer, 5000) if peer else None, "headers": [(b"host", b"x"), *headers]}


PROXIES = trusted_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


def test_the_connection_s_address_is_the_client_s_without_trusted_proxies() -> None:
    assert client_address(_scope("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"
    assert client_address(_scope("203.0.113.9"), PROXIES) == "203.0.113.9"
    assert client_address(_scope(None), PROXIES) == "unknown"


def test_an_untrusted_peer_s_forwarded_for_is_ignored() -> None:
    assert client_address(_scope("203.0.113.9", "198.51.100.1"), PROXIES) == "203.0.113.9"


def test_a_trusted_proxy_s_forwarded_for_is_read_from_the_right_past_trusted_hops() -> None:
    # the client wrote "1.2.3.4" itself; the outer proxy saw 198.51.100.1, the inner one 10.1.1.1
    scope = _scope("10.0.0.2", "1.2.3.4, 198.51.100.1", "10.1.1.1")
    assert client_address(scope, PROXIES) == "198.51.100.1"


def test_a_hop_that_is_no_address_ends_the_walk_at_the_proxy_that_passed_it() -> None:
    assert client_address(_scope("10.0.0.2", "1.2.3.4, not-an-ip"), PROXIES) == "10.0.0.2"
    assert client_address(_scope("10.0.0.2", "10.0.0.3"), PROXIES) == "10.0.0.3"  # only proxies


def test_an_ipv6_client_counts_as_its_64_and_a_mapped_ipv4_as_itself() -> None:
    assert client_address(_scope("2001:db8:1:2:aaaa::1"), ()) == "2001:db8:1:2::/64"
    assert client_address(_scope("2001:db8:ffff::5", "2001:db8:1:2::99"), PROXIES) == "2001:db8:1:2::/64"
    assert client_address(_scope("::ffff:198.51.100.7"), ()) == "198.51.100.7"
