"""Bridges from the container to Litestar's ``Provide``: handlers name use cases, not adapters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from domain.tenants import Tenant
from infrastructure.logging import bind_request_fields

API_KEY_HEADER = "X-API-Key"


def use_case(name: str) -> Provide:
    """A fresh handler for the use case ``name`` from the application's container."""

    def provide(state: State) -> Any:
        return getattr(state.container.use_cases, name)()

    return Provide(provide, sync_to_thread=False)


async def provide_tenant(request: Request[Any, Any, Any], state: State) -> Tenant:
    authenticate = state.container.use_cases.authenticate()
    tenant: Tenant = await authenticate(request.headers.get(API_KEY_HEADER))
    bind_request_fields(tenant_id=str(tenant.id))  # the rest of the request's log lines name it
    return tenant


def provide_now(state: State) -> datetime:
    now: datetime = state.container.core.clock().now()
    return now


def actor_of(tenant: Tenant) -> str:
    return f"tenant:{tenant.id}"
