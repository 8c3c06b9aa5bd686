"""Bridges from the container to Litestar's ``Provide``: handlers name use cases, not adapters.

Authentication is the first thing a /v1 request meets (``authentication_middleware``, the /v1
router's outermost middleware): a request without a valid key is answered 401 before its body
is read, fingerprinted for its Idempotency-Key or validated. The actor it finds (tenant, role,
subject) is kept in the request's scope; ``provide_actor`` and ``provide_tenant`` hand it (and
its tenant) to the handlers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.identity import Actor
from domain.tenants import Tenant
from infrastructure.logging import bind_request_fields
from interfaces.http.audit_context import bind_actor

API_KEY_HEADER = "X-API-Key"
_API_KEY = API_KEY_HEADER.lower().encode()
_AUTHORIZATION = b"authorization"
_BEARER = "bearer "
ACTOR_STATE = "holdfast_actor"  # the scope-state key the authenticated actor is kept under


def use_case(name: str) -> Provide:
    """A fresh handler for the use case ``name`` from the application's container."""

    def provide(state: State) -> Any:
        return getattr(state.container.use_cases, name)()

    return Provide(provide, sync_to_thread=False)


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    """Authenticates the X-API-Key before anything else runs; an ``UnauthenticatedError`` is
    answered 401 by the app's exception handlers without the body having been touched."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        await authenticated_actor(scope)
        await app(scope, receive, send)

    return middleware


async def authenticated_actor(scope: Scope) -> Actor:
    """Who the request's Bearer token or X-API-Key speaks for, looked up once per request (then
    kept in its scope); raises ``UnauthenticatedError`` or an access-token error (a 401) without
    valid credentials."""
    state = scope.setdefault("state", {})
    actor: Actor | None = state.get(ACTOR_STATE)  # type: ignore[assignment]
    if actor is None:
        key, bearer = credentials(scope["headers"])
        actor = await scope["app"].state.container.use_cases.authenticate()(key, bearer)
        state[ACTOR_STATE] = actor  # type: ignore[literal-required]
        bind_request_fields(tenant_id=str(actor.tenant.id))  # the rest of the request's log lines name it
        bind_actor(actor)  # and its writes' audit rows
    return actor


def credentials(headers: Any) -> tuple[str | None, str | None]:
    """The X-API-Key and the Bearer token (``Authorization: Bearer <jwt>``) a request carries;
    the hot path reads them the same way."""
    key = bearer = None
    for name, value in headers:
        if name == _API_KEY:
            key = value.decode("latin-1")
        elif name == _AUTHORIZATION:
            bearer = bearer_token(value)
    return key, bearer


def bearer_token(value: bytes) -> str | None:
    """The token of an ``Authorization: Bearer`` header (the scheme in any case), else None."""
    text = value.decode("latin-1")
    return text[len(_BEARER) :].strip() if text[: len(_BEARER)].lower() == _BEARER else None


async def authenticated_tenant(scope: Scope) -> Tenant:
    return (await authenticated_actor(scope)).tenant


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return await authenticated_actor(request.scope)


async def provide_tenant(request: Request[Any, Any, Any]) -> Tenant:
    return await authenticated_tenant(request.scope)


def provide_now(state: State) -> datetime:
    now: datetime = state.container.core.clock().now()
    return now


def actor_of(tenant: Tenant) -> str:
    return f"tenant:{tenant.id}"
