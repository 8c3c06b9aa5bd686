"""``201 Created`` answers and their ``Location``: the created resource's URL, where a GET finds it.

One place for the URLs, so the Litestar routes and the hot path (``hot_path``), which must answer
alike, name a created resource the same way.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from litestar import Response
from litestar.datastructures import ResponseHeader

T = TypeVar("T")

# Documents the header on a creating route's 201 (``response_headers=CREATED_HEADERS``).
CREATED_HEADERS = [
    ResponseHeader(name="Location", description="The created resource's URL (GET it there).", documentation_only=True)
]


def location(collection: str, ident: UUID) -> str:
    """The URL of ``ident`` in ``collection`` (``holds``, ``bookings``...) under /v1."""
    return f"/v1/{collection}/{ident}"


def created(content: T, collection: str, ident: UUID) -> Response[T]:
    """A 201 answer with ``content`` and the ``Location`` of what it created."""
    return Response(content, status_code=201, headers={"Location": location(collection, ident)})
