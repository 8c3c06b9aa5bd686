"""Liveness and readiness, outside /v1 and without authentication."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State

from infrastructure.health import database_ready, inventory_ready, redis_ready, schema_ready
from interfaces.http.errors import RETRY_AFTER_SECONDS


@get("/health/live", tags=["health"])
async def live() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@get("/health/ready", tags=["health"])
async def ready(state: State) -> Response[dict[str, Any]]:
    """Every configured dependency answers, the database's schema is the code's and the inventory
    engine has its state: 200, else 503 naming what is wrong (an un-migrated database says
    ``holdfast migrate``, a lost engine state ``holdfast reconcile inventory --repair``)."""
    gateways = state.container.gateways
    checks: dict[str, str | None] = {"database": await database_ready(gateways.database())}
    if checks["database"] is None:
        checks["schema"] = await schema_ready(gateways.database(), state.container.core.build_info().migration_head)
    redis = gateways.redis()
    if redis is not None:
        checks["redis"] = await redis_ready(redis)
    checks["inventory"] = await inventory_ready(state.container.use_cases.check_inventory_state())
    down = {name: reason for name, reason in checks.items() if reason is not None}
    body = {"status": "unavailable" if down else "ready", "checks": {n: r or "ok" for n, r in checks.items()}}
    if down:
        return Response(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return Response(body, status_code=200)
