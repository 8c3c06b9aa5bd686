"""How receivers know a webhook came from Holdfast: an HMAC-SHA256 signature of the body.

We send ``Holdfast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` under
the endpoint's secret, and ``Holdfast-Event-Id`` (the CloudEvent id, the same on every retry) so
receivers can drop duplicates. Receivers recompute the HMAC over the raw body and refuse
timestamps far from their clock, which stops replays of an old, captured request.
"""

from __future__ import annotations

import hashlib
import hmac

from domain.errors import WebhookSignatureError

SIGNATURE_HEADER = "Holdfast-Signature"
EVENT_ID_HEADER = "Holdfast-Event-Id"
TOLERANCE_SECONDS = 300
SCHEME = "v1"


def signature_of(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={signature_of(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise ``WebhookSignatureError`` unless ``header`` signs ``body`` under ``secret``, at a
    time within ``tolerance`` seconds of ``now``. Any one of several ``v1`` values may match
    (a receiver rolling its secret checks each one it still trusts)."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key.strip() == "t"]
    candidates = [value.strip() for key, value in fields if key.strip() == SCHEME]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not candidates:
        raise WebhookSignatureError("the signature header is malformed")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        raise WebhookSignatureError("the signature is too old or from the future")
    expected = signature_of(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise WebhookSignatureError("the signature does not match the body")
