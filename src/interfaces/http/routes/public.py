"""The public read API: ``/v1/public/{tenant}/...``, for anyone, without a key.

A tenant is named in the path by its name (or its id). Answers carry an ``ETag`` (a hash of the
body) and ``Cache-Control: public, max-age=N`` (``HOLDFAST_PUBLIC_CACHE_SECONDS``); a request
whose ``If-None-Match`` names the current ETag is answered 304 with no body. Server-side, answers
come from per-process caches with stated bounds (``PublicCatalogueHandler``). Each client
address is rate-limited in the ``public`` class (``HOLDFAST_RATE_LIMIT_PUBLIC``).
"""

from __future__ import annotations

import hashlib
import math
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, get
from litestar.datastructures import ResponseHeader, State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter

from application.use_cases.public_catalogue import PublicCatalogueHandler
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request
from interfaces.http.public_schemas import (
    PublicAvailabilityOut,
    PublicAvailabilityPage,
    PublicListingOut,
    PublicListingPage,
)
from interfaces.http.query import known_query_parameters
from interfaces.http.rate_limits import rate_limit_middleware
from interfaces.http.text import LINE_PATTERN

# The tenant's name (1 to 200 printable characters, as tenants are named) or its id.
TenantRef = Annotated[
    str, Parameter(min_length=1, max_length=200, pattern=LINE_PATTERN, description="the tenant's name or id")
]
_JSON = "application/json"


def _problems(*codes: str) -> dict[int, ResponseSpec]:
    """A public route's problems: no credentials, so none of /v1's 401s."""
    found = problems(*codes)
    found.pop(401, None)
    found[304] = ResponseSpec(None, description="Not modified: the If-None-Match named the current ETag (no body)")
    return found


def _cached(request: Request[Any, Any, Any], state: State, body: Any) -> Response[Any]:
    """``body`` encoded once, with its ETag and Cache-Control; 304 when the client has it."""
    encoded = msgspec.json.encode(body)
    etag = f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={math.ceil(state.settings.public_cache_seconds)}"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=encoded, media_type=_JSON, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison: ``*``, or any listed tag equal to ours without ``W/``."""
    if if_none_match is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


# Documents the caching headers on each public 200 (``response_headers=CACHE_HEADERS``).
CACHE_HEADERS = [
    ResponseHeader(name="ETag", description="A hash of the body: send it as If-None-Match.", documentation_only=True),
    ResponseHeader(
        name="Cache-Control", description="public, max-age=HOLDFAST_PUBLIC_CACHE_SECONDS", documentation_only=True
    ),
]
_DEPENDENCIES = {"public_catalogue": use_case("public_catalogue")}


@get(
    "/{tenant_ref:str}/listings",
    dependencies=_DEPENDENCIES,
    response_headers=CACHE_HEADERS,
    responses=_problems("not_found"),
)
async def listings(
    request: Request[Any, Any, Any],
    state: State,
    tenant_ref: FromPath[TenantRef],
    public_catalogue: NamedDependency[PublicCatalogueHandler],
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Response[PublicListingPage]:
    """The tenant's listings, oldest first, a page at a time (``next_cursor`` goes on): kind,
    name and start only. The index may be ``HOLDFAST_PUBLIC_CACHE_SECONDS`` old."""
    page = await public_catalogue.listings(tenant_ref, page_request(limit, cursor))
    body = PublicListingPage([PublicListingOut.of(item) for item in page.items], encode_cursor(page.next_after))
    return _cached(request, state, body)


@get(
    "/{tenant_ref:str}/listings/{listing_id:uuid}",
    dependencies=_DEPENDENCIES,
    response_headers=CACHE_HEADERS,
    responses=_problems("not_found"),
)
async def listing(
    request: Request[Any, Any, Any],
    state: State,
    tenant_ref: FromPath[TenantRef],
    listing_id: FromPath[UUID],
    public_catalogue: NamedDependency[PublicCatalogueHandler],
) -> Response[PublicListingOut]:
    """One listing with every pool and its unit price."""
    found = await public_catalogue.listing(tenant_ref, listing_id)
    return _cached(request, state, PublicListingOut.of(found, with_pools=True))


@get(
    "/{tenant_ref:str}/listings/{listing_id:uuid}/availability",
    dependencies=_DEPENDENCIES,
    response_headers=CACHE_HEADERS,
    responses=_problems("not_found", "inventory_unavailable"),
)
async def availability(
    request: Request[Any, Any, Any],
    state: State,
    tenant_ref: FromPath[TenantRef],
    listing_id: FromPath[UUID],
    public_catalogue: NamedDependency[PublicCatalogueHandler],
) -> Response[PublicAvailabilityPage]:
    """Every pool of the listing with its unit price and the units still available (never
    capacities, nor held and sold apart). At most ``HOLDFAST_PUBLIC_CACHE_SECONDS`` old."""
    found = await public_catalogue.availability(tenant_ref, listing_id)
    return _cached(request, state, PublicAvailabilityPage(listing_id, [PublicAvailabilityOut.of(p) for p in found]))


public_router = Router(
    path="/v1/public",
    route_handlers=[listings, listing, availability],
    tags=["public"],
    security=[],
    guards=[known_query_parameters],
    opt={"public": True},  # no credentials: no role to check (interfaces/http/permissions.py)
    middleware=[rate_limit_middleware],  # counted per client address, class "public"
)
