"""Every /v1 route is decided by the permission matrix (``domain.permissions``).

A route declares the one permission it needs: ``opt={"permission": "bookings:refund"}`` (or
``opt=requires(Permission.BOOKINGS_REFUND)``). ``check_permissions`` runs at start-up: a route
under /v1 that declares none, or a name the matrix does not know, stops the app from starting,
so a route is never forgotten. Two kinds of route are exempt and say so: ``/v1/ops`` (the
operator scope, checked by its own guard: ``opt={"scope": "operator"}`` on its router) and
public routes (``opt={"public": True}``: no authentication at all, e.g. Stripe's webhooks,
sign-up and sign-in), which must sit outside the /v1 router's authentication.

The check is a middleware, not a guard, on purpose: it runs right after authentication and
before the idempotency middleware and ``strict_body``, so a refused request is answered 403
``forbidden`` before its body is read, fingerprinted or validated (Litestar's guards run after
the middleware). The hot path (``hot_path``) makes the same check from the same declaration,
with the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from application.errors import ForbiddenError
from domain.identity import Actor
from domain.permissions import Permission, roles_allowed
from domain.roles import Role
from interfaces.http.dependencies import authenticated_actor

PERMISSION = "permission"  # the opt key a route declares its permission under
PUBLIC = "public"  # opt: True on a route that takes no credentials at all
SCOPE = "scope"  # opt: "operator" on /v1/ops, decided by its own guard
OPERATOR = "operator"
_ROLES = "holdfast_roles"  # opt: the roles allowed, noted at start-up (a frozenset: one lookup per request)
V1 = "/v1"


def requires(permission: Permission) -> dict[str, Any]:
    """The ``opt`` of a route that needs ``permission``."""
    return {PERMISSION: permission.value}


def exemption(opt: Mapping[str, Any]) -> str | None:
    """Why a route needs no permission ("public", "operator"), or None if it needs one."""
    if opt.get(PUBLIC) is True:
        return PUBLIC
    if opt.get(SCOPE) == OPERATOR:
        return OPERATOR
    return None


def declared_permission(path: str, method: str, opt: Mapping[str, Any]) -> Permission:
    """The permission a route declares; ``RuntimeError`` (the app does not start) if none or unknown."""
    name = opt.get(PERMISSION)
    if name is None:
        raise RuntimeError(
            f"{method} {path} declares no permission: add opt={{'permission': ...}} with a name of "
            "domain.permissions.Permission (or mark it public / operator)"
        )
    try:
        return Permission(name)
    except ValueError:
        raise RuntimeError(f"{method} {path} declares an unknown permission {name!r}") from None


def route_permissions(app: Litestar) -> dict[tuple[str, str], Permission | str]:
    """(method, path) -> the permission of every /v1 operation, or its exemption ("public",
    "operator"); raises ``RuntimeError`` on a /v1 route that declares neither."""
    found: dict[tuple[str, str], Permission | str] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not (route.path == V1 or route.path.startswith(V1 + "/")):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS" and PERMISSION not in handler.opt:
                continue  # Litestar's automatic answer (the Allow header): any authenticated role's
            found[(method, route.path_format)] = exemption(handler.opt) or declared_permission(
                route.path_format, method, handler.opt
            )
    return found


def check_permissions(app: Litestar) -> None:
    """At start-up: every /v1 route declares a known permission (or an exemption), and notes the
    roles it allows where the middleware finds them."""
    route_permissions(app)  # raises on a route that declares none
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                if (name := handler.opt.get(PERMISSION)) is not None:
                    handler.opt[_ROLES] = roles_with(Permission(name))
                elif method == "OPTIONS":
                    handler.opt[_ROLES] = frozenset(Role)


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles that have ``permission``, as a set: what a request's role is looked up in."""
    return frozenset(roles_allowed(permission))


def refusal(actor: Actor, permission: Permission | str) -> ForbiddenError:
    return ForbiddenError(f"the {actor.role.value} role may not do this: it needs {permission}", required=permission)


def permission_middleware(app: ASGIApp) -> ASGIApp:
    """After authentication, before anything reads the body: 403 ``forbidden`` when the actor's
    role lacks the route's permission. A route without noted roles (never the case once
    ``check_permissions`` ran) is refused rather than let through."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        opt = scope["route_handler"].opt
        allowed: frozenset[Role] = opt.get(_ROLES, frozenset())
        actor = await authenticated_actor(scope)
        if actor.role not in allowed:
            raise refusal(actor, opt.get(PERMISSION, "a permission"))
        await app(scope, receive, send)

    return middleware
