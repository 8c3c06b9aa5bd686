"""Rate limits at the edge: which class a request falls in, who it is, and the check itself.

The check runs after authentication (a bad key is 401 first) and before anything else: the /v1
router's ``rate_limit_middleware`` follows ``authentication_middleware``, and the hot path
(``hot_path.py``) checks before reading the body. A public route (no actor: sign-in) is counted by
its client's address alone. A refusal is ``RateLimitedError``: 429 ``rate_limited`` with
``Retry-After`` and ``X-RateLimit-*`` (``errors.rate_limit_headers``); an allowed answer carries
the ``X-RateLimit-*`` headers too. A request is checked once: the hot path, handing a request on
to the route after checking it, marks its scope so the middleware does not count it again.

Route classes (``application.use_cases.check_rate_limit.ROUTE_CLASSES``):
``auth`` public routes under /v1/auth/ (and the console's sign-in form); ``public`` the public
read API (/v1/public/..., by client address alone); ``queue`` a listing's waiting room
(/v1/listings/{id}/queue...); ``holds`` POST /v1/holds and POST /v1/bookings; ``reads`` GET,
HEAD and OPTIONS; ``writes`` every other method.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.use_cases.check_rate_limit import CheckRateLimit
from interfaces.http.client_address import client_address, trusted_networks
from interfaces.http.dependencies import ACTOR_STATE
from interfaces.http.errors import rate_limit_headers

if TYPE_CHECKING:
    from application.ports.rate_limits import RateDecision
    from domain.identity import Actor
    from infrastructure.container import Container

CHECKED_STATE = "holdfast_rate_checked"  # set once a request has been counted
RawHeaders = tuple[tuple[bytes, bytes], ...]
_HOLDS = frozenset({"/v1/holds", "/v1/holds/", "/v1/bookings", "/v1/bookings/"})
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_QUEUE = re.compile(r"/v1/listings/[^/]+/queue(?:/|$)")


def route_class(method: str, path: str, public: bool) -> str:
    # The console's sign-in form (interfaces/web) guesses passwords as /v1/auth/login would.
    if public and (path.startswith("/v1/auth/") or path == "/console/login"):
        return "auth"
    if public and path.startswith("/v1/public/"):
        return "public"
    if path.startswith("/v1/listings/") and _QUEUE.match(path):
        return "queue"
    if method in _READS:
        return "reads"
    return "holds" if method == "POST" and path in _HOLDS else "writes"


class RateGate:
    """The check of one app's requests (one per app: ``create_app`` keeps it in the app's state,
    the hot path holds it too)."""

    def __init__(self, container: Container) -> None:
        self._check = container.use_cases.check_rate_limit()
        self.trusted = trusted_networks(container.settings().trusted_proxies)  # audit lines use them too

    def _command(self, scope: Scope) -> CheckRateLimit:
        actor: Actor | None = scope["state"].get(ACTOR_STATE)  # type: ignore[attr-defined]
        cls = route_class(scope["method"], scope["path"], actor is None)
        return CheckRateLimit(cls, None if actor is None else actor.subject, client_address(scope, self.trusted))

    def known_refusal(self, scope: Scope) -> RateDecision | None:
        """The request's refusal when this process knows it already (no I/O, nothing counted:
        ``CheckRateLimitHandler.known_refusal``); None: ``check`` it."""
        return self._check.known_refusal(self._command(scope))

    async def check(self, scope: Scope) -> RawHeaders:
        """Counts the request (raises ``RateLimitedError`` when refused); the headers its answer
        carries (none when its class is not limited)."""
        state: dict[str, Any] = scope["state"]  # type: ignore[assignment]
        decision = await self._check(self._command(scope))
        state[CHECKED_STATE] = True
        if decision is None:
            return ()
        return tuple((name.lower().encode(), value.encode()) for name, value in rate_limit_headers(decision).items())


def with_headers(send: Send, headers: RawHeaders) -> Send:
    """``send``, adding ``headers`` to the response's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *headers]
        await send(message)

    return sending


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Counts each request before anything after it runs (see the module's docstring)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        if state.get(CHECKED_STATE):  # the hot path counted it and adds its headers
            await app(scope, receive, send)
            return
        headers = await scope["app"].state.rate_gate.check(scope)
        await app(scope, receive, with_headers(send, headers) if headers else send)

    return middleware
