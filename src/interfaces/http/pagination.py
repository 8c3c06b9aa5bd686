"""Opaque keyset cursors: the (created_at, id) of the last item of a page."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar.params import QueryParameter

from application.ports.repositories import MAX_PAGE_SIZE, PageRequest
from domain.errors import InvalidValueError
from interfaces.http.text import CURSOR_PATTERN, LINE_PATTERN

Cursor = Annotated[
    str | None, QueryParameter(pattern=CURSOR_PATTERN, description="the next_cursor of the previous page")
]
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="items per page")]
# A list filtered by customer (bookings, holds): the customer_ref as it was sent.
CustomerFilter = Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=LINE_PATTERN)]


def encode_cursor(after: tuple[datetime, UUID] | None) -> str | None:
    if after is None:
        return None
    raw = f"{after[0].isoformat()}|{after[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, ident = raw.split("|")
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidValueError("cursor", "is not a cursor this API gave out") from exc


def page_request(limit: int, cursor: str | None) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor))
