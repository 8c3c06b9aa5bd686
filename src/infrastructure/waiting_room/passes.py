"""Queue passes signed with HMAC-SHA256 (``HOLDFAST_QUEUE_PASS_SECRET``).

A pass is ``<payload>.<signature>``, both base64url: the payload names the listing, the ticket,
the expiry (epoch milliseconds) and the identity. An HMAC from the standard library rather than
a JWT: the API is both the only issuer and the only reader, so a JWT's header (and its
algorithm choice to get wrong) would add bytes and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime
from uuid import UUID

from domain.waiting_room import QueuePass, QueuePassInvalidError

MAX_PASS_LENGTH = 1024


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HmacQueuePasses:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"holdfast queue pass\0" + secret.encode()).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def sign(self, queue_pass: QueuePass) -> str:
        millis = int(queue_pass.expires_at.timestamp() * 1000)
        payload = _b64(f"{queue_pass.listing_id.hex}.{queue_pass.ticket_id.hex}.{millis}.{queue_pass.subject}".encode())
        return f"{payload}.{self._mac(payload)}"

    def read(self, token: str) -> QueuePass:
        payload, _, signature = token.partition(".")
        signed = hmac.compare_digest(self._mac(payload).encode(), signature.encode("utf-8", "replace"))
        if len(token) > MAX_PASS_LENGTH or not signed:
            raise QueuePassInvalidError("its signature does not match")
        try:
            listing, ticket, millis, subject = _unb64(payload).decode().split(".", 3)
            expires_at = datetime.fromtimestamp(int(millis) / 1000, UTC)
            return QueuePass(UUID(hex=listing), UUID(hex=ticket), subject, expires_at)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:  # signed by us: never, but not a 500
            raise QueuePassInvalidError("it cannot be read") from exc
