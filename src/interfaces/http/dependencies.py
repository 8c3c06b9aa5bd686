"""Bridges from the container to Litestar's ``Provide``: handlers name use cases, not adapters.

Authentication is the first thing a /v1 request meets (``authentication_middleware``, the /v1
router's outermost middleware): a request without a valid key is answered 401 before its body
is read, fingerprinted for its Idempotency-Key or validated. The tenant it finds is kept in the
request's scope, and ``provide_tenant`` hands that same tenant to the handlers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.tenants import Tenant
from infrastructure.logging import bind_request_fields

API_KEY_HEADER = "X-API-Key"
_API_KEY = API_KEY_HEADER.lower().encode()
TENANT_STATE = "holdfast_tenant"  # the scope-state key the authenticated tenant is kept under


def use_case(name: str) -> Provide:
    """A fresh handler for the use case ``name`` from the application's container."""

    def provide(state: State) -> Any:
        return getattr(state.container.use_cases, name)()

    return Provide(provide, sync_to_thread=False)


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    """Authenticates the X-API-Key before anything else runs; an ``UnauthenticatedError`` is
    answered 401 by the app's exception handlers without the body having been touched."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        await authenticated_tenant(scope)
        await app(scope, receive, send)

    return middleware


async def authenticated_tenant(scope: Scope) -> Tenant:
    """The tenant behind the request's X-API-Key, looked up once per request (then kept in its
    scope); raises ``UnauthenticatedError`` (a 401) without one."""
    state = scope.setdefault("state", {})
    tenant: Tenant | None = state.get(TENANT_STATE)  # type: ignore[assignment]
    if tenant is None:
        key = next((value.decode("latin-1") for name, value in scope["headers"] if name == _API_KEY), None)
        tenant = await scope["app"].state.container.use_cases.authenticate()(key)
        state[TENANT_STATE] = tenant  # type: ignore[literal-required]
        bind_request_fields(tenant_id=str(tenant.id))  # the rest of the request's log lines name it
    return tenant


async def provide_tenant(request: Request[Any, Any, Any]) -> Tenant:
    return await authenticated_tenant(request.scope)


def provide_now(state: State) -> datetime:
    now: datetime = state.container.core.clock().now()
    return now


def actor_of(tenant: Tenant) -> str:
    return f"tenant:{tenant.id}"
