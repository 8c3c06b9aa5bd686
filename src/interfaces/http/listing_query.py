"""The query of ``GET /v1/listings``: its parameters and its cursors.

A listing cursor carries the sort it was made under with the last listing's sort value and id,
so that a cursor is only ever used with the order it was cut from (another sort's cursor is a
400, never a silently wrong page). Longer than other cursors: a name sort's value is a name.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar.params import QueryParameter

from application.ports.listing_search import MAX_QUERY_LENGTH, ListingSort, SortKey
from domain.errors import InvalidValueError
from interfaces.http.text import END, LINE_PATTERN

ListingCursor = Annotated[
    str | None,
    QueryParameter(pattern=rf"^[A-Za-z0-9_-]{{1,4096}}{END}", description="the next_cursor of the previous page"),
]
SearchText = Annotated[
    str | None,
    QueryParameter(
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        pattern=LINE_PATTERN,
        description="case-insensitive text in the name, venue, route (LIS-AMS), flight number or address",
    ),
]
StartsFrom = Annotated[
    datetime | None,
    QueryParameter(name="from", description="listings starting at or after this instant (with an offset)"),
]
StartsTo = Annotated[
    datetime | None,
    QueryParameter(name="to", description="listings starting before this instant (with an offset)"),
]


def encode_listing_cursor(sort: ListingSort, after: SortKey | None) -> str | None:
    if after is None:
        return None
    value, ident = after
    shown = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([sort.value, shown, str(ident)], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_listing_cursor(sort: ListingSort, cursor: str | None) -> SortKey | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, value, ident = json.loads(raw)
        return _value(sort, made_for, value), UUID(ident)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidValueError("cursor", "is not a cursor this API gave out for this sort") from exc


def _value(sort: ListingSort, made_for: object, value: object) -> datetime | str | None:
    if made_for != sort.value:
        raise ValueError("another sort's cursor")
    if sort is ListingSort.NAME:
        if not isinstance(value, str):
            raise ValueError("not a name")
        return value
    if value is None and sort is ListingSort.STARTS_AT:
        return None
    if not isinstance(value, str):
        raise ValueError("not a time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive")
    return moment
