"""``GET /``: where a newcomer (or a client exploring the API) finds everything else."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State

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
async def root(state: State) -> dict[str, object]:
    """The service's name and version, and links to its API document, the documentation pages
    and the health probes (JSON, no API key; the API is under ``/v1``)."""
    return {"name": "Holdfast", "version": state.container.core.build_info().version, "api": "/v1", "links": LINKS}
