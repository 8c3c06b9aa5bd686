"""The Holdfast-Signature scheme: what we sign, receivers can check, and nothing else passes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from domain.errors import WebhookSignatureError
from domain.webhook_signatures import signature_header, verify_signature

SECRET = "hfwhsec_test"
BODY = b'{"id":"e1","type":"holdfast.booking.confirmed.v1"}'
AT = 1_900_000_000


def test_the_header_is_an_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{AT}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_header(SECRET, AT, BODY) == f"t={AT},v1={expected}"


def test_a_receiver_verifies_what_we_sign() -> None:
    verify_signature(SECRET, signature_header(SECRET, AT, BODY), BODY, now=AT + 10)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("another secret", BODY, AT),  # not our secret
        (SECRET, BODY + b" ", AT),  # the body changed
        (SECRET, BODY, AT + 301),  # too old: a replay
        (SECRET, BODY, AT - 301),  # from the future
    ],
)
def test_anything_else_is_refused(secret: str, body: bytes, now: int) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_signature(secret, signature_header(SECRET, AT, BODY), body, now=now)


@pytest.mark.parametrize("header", ["", "v1=abc", f"t=x,v1={'0' * 64}", f"t={AT}", f"t={AT},t={AT},v1=00"])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_signature(SECRET, header, BODY, now=AT)


def test_any_of_several_signatures_may_match() -> None:
    good = signature_header(SECRET, AT, BODY).split(",")[1]
    verify_signature(SECRET, f"t={AT},v1={'0' * 64},{good}", BODY, now=AT)
