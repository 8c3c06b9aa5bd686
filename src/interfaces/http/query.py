"""Unknown query parameters are refused (400 ``validation_failed``) on every /v1 read.

Litestar ignores query parameters a handler does not declare, so ``GET /v1/listings?kind=flight``
answered every listing as if filtered: a client could not tell a filter that works from one that
does not exist. The names each handler reads (its own and its dependencies') are noted once at
start-up (``note_query_parameters``) in the handler's ``opt``, and one guard on the /v1 routers
compares a request's names with them.

Reads only (GET, HEAD): a query string on a mutating call changes nothing it does, and the hold
hot path, which must answer like the route, never reads one.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

QUERY_NAMES = "holdfast_query_names"
_READS = frozenset({"GET", "HEAD"})


def note_query_parameters(app: Litestar) -> None:
    """Records, on each route handler, the query parameter names it reads."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, kwargs_model in route.route_handler_map.values():
                names = {parameter.field_alias for parameter in kwargs_model.expected_query_params}
                handler.opt[QUERY_NAMES] = frozenset(names)


def known_query_parameters(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The guard: a read naming a query parameter its handler does not read is a 400."""
    if connection.scope.get("method") not in _READS or not connection.scope.get("query_string"):
        return
    known: frozenset[str] = handler.opt.get(QUERY_NAMES, frozenset())
    unknown = sorted(set(connection.query_params) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        errors = [
            {"key": name, "message": f"unknown query parameter; this route reads: {expected}", "source": "query"}
            for name in unknown
        ]
        raise ValidationException(detail="unknown query parameter: " + ", ".join(unknown), extra=errors)
