"""``GET /``: where a newcomer (or a client exploring the API) finds everything else."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Template

from interfaces.web.landing import landing, wants_html

# Where the service's own documents are; the API itself is under /v1.
LINKS = {
    "openapi": "/schema/openapi.json",
    "docs": "/schema",
    "swagger": "/schema/swagger",
    "redoc": "/schema/redoc",
    "health": "/health/live",
    "ready": "/health/ready",
}


@get("/", tags=["health"])
async def root(request: Request[Any, Any, Any], state: State) -> Response[dict[str, object]] | Template:
    """The service's name and version, and links to its API document, the documentation pages
    and the health probes (JSON, no API key; the API is under ``/v1``). A browser (``Accept``
    ranking text/html first) gets the landing page instead (interfaces/web)."""
    if wants_html(request):
        return await landing(request)
    body = {"name": "Holdfast", "version": state.container.core.build_info().version, "api": "/v1", "links": LINKS}
    return Response(body)
