"""HTTP bodies of the webhook endpoint and of the operators' view of the webhook inbox."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime

import msgspec

from application.ports.webhooks import InboxEntry, InboxPageRequest
from domain.errors import InvalidValueError
from domain.webhooks import InboxStatus
from interfaces.http.text import LINE_PATTERN


class WebhookAck(msgspec.Struct):
    """What the provider gets back: it only needs a 2xx, the flag helps whoever reads the logs."""

    received: bool
    duplicate: bool


class WebhookEventOut(msgspec.Struct):
    id: str
    type: str
    status: InboxStatus
    attempts: int
    last_error: str | None
    created: datetime  # when the provider created the event
    received_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, entry: InboxEntry) -> WebhookEventOut:
        event = entry.event
        return cls(
            event.id,
            event.type,
            entry.status,
            entry.attempts,
            entry.last_error,
            event.created,
            entry.received_at,
            entry.updated_at,
            entry.next_attempt_at,
        )


class WebhookEventPage(msgspec.Struct):
    items: list[WebhookEventOut]
    next_cursor: str | None


def encode_cursor(after: tuple[datetime, str] | None) -> str | None:
    """Opaque keyset cursor: the (received_at, event id) of a page's last entry."""
    if after is None:
        return None
    raw = f"{after[0].isoformat()}|{after[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_request(limit: int, cursor: str | None) -> InboxPageRequest:
    if cursor is None:
        return InboxPageRequest(limit)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, event_id = raw.split("|", 1)
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None or not event_id or not re.match(LINE_PATTERN, event_id):
            raise ValueError("not a cursor")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidValueError("cursor", "is not a cursor this API gave out") from exc
    return InboxPageRequest(limit, (when, event_id))
