"""``POST /v1/holds`` and ``POST /v1/bookings`` answered below Litestar's generic machinery: the
rush path.

A hold (then its booking) is the request a crowd sends at once. Through Litestar a hold costs a routing pass, a
signature model, dependency resolution (tenant, use case, clock), a ``before_request`` hook,
the exception middleware and a response object, several times the cost of the hold itself
(benchmarks/RESULTS.md, "HTTP: the rush path"). Here the same use case is called straight from
the ASGI scope, with the same correlation id, metrics and access line (``logged``, shared with
``correlation_middleware``) and the same answers:

* the happy path (a 201 with the route's ``Location``, from ``interfaces.http.locations``) and
  the answers a crowd gets (the use case's domain errors: sold out, over the customer limit,
  unknown listing or pool, a hold expired) are rendered here, with the same bodies and headers
  as the exception handlers' (``interfaces.http.errors.problem_body``);
* a role without the route's permission (the one the Litestar route declares, noted at
  start-up) is answered 403 ``forbidden`` here too, after authentication and before the body
  is read, as ``permission_middleware`` answers it there: one set lookup;
* everything else is handed to the Litestar route as it would have been, with the body already
  read replayed to it: no or a bad API key or Bearer token, an ``Idempotency-Key`` (its middleware stores and
  replays responses), a content type other than ``application/json``, a body that is not
  valid for the route's input type or not JSON, an over-large body, tracing on. The route stays the one
  documented in OpenAPI, and the one tests compare this path with
  (tests/e2e/test_hot_path.py): a request answered here and there must not differ;
* an unexpected failure after the use case has started is answered by the app's own exception
  handlers (never handed on: the hold may have been placed);
* rate limits (``rate_limits.RateGate``) are checked after authentication and before the body is
  read, as the route's middleware checks them; a request handed on after that is not counted
  again, and its answer carries the same ``X-RateLimit-*`` headers. A refusal the process
  already knows (a flood from one client, refused from the limiter's latch) is answered before
  any of the rest: its 429 rendered once, counted in the metrics, and logged in a line a second
  per identity (``middleware.RefusalTally``) instead of an access line each.

A Bearer access token is checked here as the route checks it (``AuthenticateHandler``: on the
CPU, the tenant from the catalogue cache), and a signed-in customer's hold is theirs
(``HoldIn.command``): no database is read for either.

Handing on happens before the use case has run, so no request is ever executed twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from litestar import Request
from litestar.types import Message, Receive, Scope, Send

from application.errors import ForbiddenError, RateLimitedError
from application.ports.rate_limits import RateDecision
from domain.errors import DomainError
from domain.permissions import Permission
from infrastructure.logging import bind_request_fields, request_log_context
from interfaces.http.audit_context import bind_actor, request_audit_context
from interfaces.http.dependencies import ACTOR_STATE, bearer_token
from interfaces.http.errors import EXCEPTION_HANDLERS, PROBLEM_JSON, domain_problem
from interfaces.http.locations import location
from interfaces.http.metrics import record_http_request
from interfaces.http.middleware import HANDED_ON, RefusalTally, correlation_of_scope, logged
from interfaces.http.permissions import refusal, roles_with
from interfaces.http.rate_limits import RateGate, with_headers
from interfaces.http.schemas import BookingIn, BookingOut, HoldIn, HoldOut

if TYPE_CHECKING:
    from litestar import Litestar

    from domain.identity import Actor
    from infrastructure.container import Container

_API_KEY = b"x-api-key"
_AUTHORIZATION = b"authorization"
_IDEMPOTENCY_KEY = b"idempotency-key"
_CONTENT_TYPE = b"content-type"
_QUEUE_PASS = b"x-queue-pass"
_QUEUE_PASS_SHAPE = re.compile(rb"[A-Za-z0-9_.-]{1,1024}")  # the route's QUEUE_PASS_PATTERN
_JSON = b"application/json"
_JSON_WITH_PARAMETERS = b"application/json;"
_ENCODE = msgspec.json.Encoder().encode
_PROBLEM_JSON = PROBLEM_JSON.encode()
_CORRELATION = "X-Correlation-ID"
_CORRELATION_HEADER = _CORRELATION.lower().encode()

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# A status, a document and the answer's own headers (a 201's ``Location``), as the route's.
Answer = tuple[int, msgspec.Struct, tuple[tuple[bytes, bytes], ...]]


@dataclass(frozen=True, slots=True)
class HotRoute:
    """One route the hot path answers: its template (for metrics), how its body is decoded
    (strictly, as ``strict_body`` decodes it for the Litestar route), and the use case call that
    answers a decoded body (with the actor and the ``X-Queue-Pass`` header) with a status and a
    document."""

    template: str
    decode: Callable[[bytes], Any]
    answer: Callable[[Actor, Any, str | None], Awaitable[Answer]]


def hot_routes(container: Container) -> dict[tuple[str, str], HotRoute]:
    """``POST /v1/holds`` and ``POST /v1/bookings``: what a crowd sends (a hold, then its
    booking). Each mirrors its Litestar route handler line for line."""
    place_hold, create_booking = container.use_cases.place_hold(), container.use_cases.create_booking()
    clock = container.core.clock()

    async def hold(actor: Actor, data: HoldIn, queue_pass: str | None) -> Answer:  # HoldController.place
        placed = await place_hold(data.command(actor, queue_pass))
        return 201, HoldOut.of(placed, clock.now()), _located("holds", placed.id)

    async def booking(actor: Actor, data: BookingIn, _queue_pass: str | None) -> Answer:  # BookingController.create
        result = await create_booking(data.command(actor))
        if result.created:
            return 201, BookingOut.of(result.booking), _located("bookings", result.booking.id)
        return 200, BookingOut.of(result.booking), ()

    routes = (
        HotRoute("/v1/holds", msgspec.json.Decoder(HoldIn, strict=True).decode, hold),
        HotRoute("/v1/bookings", msgspec.json.Decoder(BookingIn, strict=True).decode, booking),
    )
    return {("POST", path): route for route in routes for path in (route.template, route.template + "/")}


class HotPath:
    """Answers the hot routes from the ASGI scope; ``fallback`` is the Litestar app's own handling
    of a request (which this class hands requests on to, body replayed)."""

    def __init__(
        self,
        container: Container,
        fallback: ASGIApp,
        max_body_bytes: int,
        permissions: Mapping[tuple[str, str], Permission | str],
        rate_gate: RateGate,
    ) -> None:
        self._authenticate = container.use_cases.authenticate()
        self._rate_gate = rate_gate
        self._routes = hot_routes(container)
        # Each route's permission, as its Litestar handler declares it, and the roles that have it.
        self._needs = {route: Permission(permissions[("POST", route.template)]) for route in self._routes.values()}
        self._allowed = {route: roles_with(needed) for route, needed in self._needs.items()}
        self._fallback = fallback
        self._max_body = max_body_bytes
        self.refusals = RefusalTally()  # flushed by the app's shutdown too

    async def _refuse_flood(self, scope: Scope, send: Send, refused: RateDecision, actor: Actor, ident: str) -> None:
        """429 for a refusal the process already knows (``RateGate.known_refusal``: no I/O), as a
        flood gets it: rendered once per decision, counted in the metrics, and logged in the
        tally's line a second rather than an access line each; nothing else (no body read, no
        audit context: a refusal writes nothing)."""
        started = time.perf_counter()
        headers, before, after = _rendered_refusal(refused)
        raw = ident.encode()
        await _send(send, 429, b"".join((before, raw, after)), _PROBLEM_JSON, (*headers, (_CORRELATION_HEADER, raw)))
        record_http_request(scope, 429, time.perf_counter() - started)
        self.refusals.add(scope["method"], scope["path"], actor.tenant.id, actor.subject, ident)

    def route(self, scope: Scope) -> HotRoute | None:
        return self._routes.get((scope["method"], scope["path"]))

    async def __call__(self, route: HotRoute, scope: Scope, receive: Receive, send: Send) -> None:
        key, bearer, json, queue_pass = None, None, False, None
        for name, value in scope["headers"]:
            if name == _API_KEY:
                key = value.decode("latin-1")
            elif name == _AUTHORIZATION:
                bearer = bearer_token(value)
            elif name == _CONTENT_TYPE:
                json = value == _JSON or value.startswith(_JSON_WITH_PARAMETERS)
            elif name == _QUEUE_PASS:
                queue_pass = value
            elif name == _IDEMPOTENCY_KEY:
                json = False  # stored and replayed by its middleware, on the route
                break
        if queue_pass is not None and not _QUEUE_PASS_SHAPE.fullmatch(queue_pass):
            json = False  # the route's 400
        if not json:  # the route judges other media types (and keyed requests)
            await self._fallback(scope, receive, send)
            return
        try:
            actor = await self._authenticate(key, bearer)
        except Exception:  # 401, or the key could not be checked (503): answered there, body unread
            await self._fallback(scope, receive, send)
            return
        scope["state"][ACTOR_STATE] = actor  # type: ignore[literal-required]
        ident = correlation_of_scope(scope)
        scope["path_template"] = route.template  # type: ignore[typeddict-unknown-key]
        allowed = actor.role in self._allowed[route]
        if allowed and (refused := self._rate_gate.known_refusal(scope)) is not None:
            await self._refuse_flood(scope, send, refused, actor, ident)
            return
        with request_log_context(ident), request_audit_context(scope, ident, self._rate_gate.trusted):
            bind_request_fields(tenant_id=str(actor.tenant.id))
            bind_actor(actor)
            if allowed:
                sent_pass = None if queue_pass is None else queue_pass.decode()
                await logged(_Answering(self, route, actor, sent_pass).run, scope, receive, send, ident)
            else:  # as permission_middleware refuses on the route: 403, the body unread
                await logged(_Refusing(refusal(actor, self._needs[route])).run, scope, receive, send, ident)


class _Answering:
    """One request on a hot route, inside its access line and metrics."""

    __slots__ = ("actor", "path", "queue_pass", "route")

    def __init__(self, path: HotPath, route: HotRoute, actor: Actor, queue_pass: str | None) -> None:
        self.path, self.route, self.actor, self.queue_pass = path, route, actor, queue_pass

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:  # rate limits before the body is read (a refusal costs nothing more)
            rate_headers = await self.path._rate_gate.check(scope)
        except DomainError as exc:  # rate_limited
            await _send(send, *_problem(scope, exc))
            return
        except Exception as exc:  # the limiter's store is down: 503, as the route answers
            await _answer_unexpected(scope, receive, send, exc)
            return
        if rate_headers:
            send = with_headers(send, rate_headers)
        body, complete = await _read_body(receive, self.path._max_body)
        data = _decoded(self.route, body) if complete else None
        if data is None:  # not a body this path answers: Litestar's route says what is wrong with it
            scope["state"][HANDED_ON] = True  # type: ignore[literal-required]
            await self.path._fallback(scope, _replaying(body, complete, receive), send)
            return
        try:
            status, document, headers = await self.route.answer(self.actor, data, self.queue_pass)
        except DomainError as exc:
            await _send(send, *_problem(scope, exc))
            return
        except Exception as exc:
            await _answer_unexpected(scope, receive, send, exc)
            return
        await _send(send, status, _ENCODE(document), _JSON, headers)


class _Refusing:
    """A hot route asked for by a role without its permission: 403, the body left unread."""

    __slots__ = ("error",)

    def __init__(self, error: ForbiddenError) -> None:
        self.error = error

    async def run(self, scope: Scope, _receive: Receive, send: Send) -> None:
        await _send(send, *_problem(scope, self.error))


def _located(collection: str, ident: UUID) -> tuple[tuple[bytes, bytes], ...]:
    """The ``Location`` header the route's ``created`` answer carries."""
    return ((b"location", location(collection, ident).encode()),)


def _decoded(route: HotRoute, body: bytes) -> Any:
    try:
        return route.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, and whether it is whole: reading stops past ``limit`` (Litestar answers 413)
    or at a disconnect, and the part read is handed on with the rest of the stream."""
    message = await receive()
    body = message.get("body", b"")
    if message["type"] == "http.request" and not message.get("more_body", False) and len(body) <= limit:
        return body, True  # the usual case: one message
    chunks = [body]
    size = len(body)
    while message["type"] == "http.request" and message.get("more_body", False) and size <= limit:
        message = await receive()
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
    whole = message["type"] == "http.request" and not message.get("more_body", False) and size <= limit
    if message["type"] != "http.request":
        chunks.append(b"")
    return b"".join(chunks), whole


def _replaying(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A ``receive`` that hands on the body read so far, then the rest of the client's stream."""
    pending = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": not complete}
        return await receive()

    return replay


def _problem(scope: Scope, exc: DomainError) -> tuple[int, bytes, bytes, tuple[tuple[bytes, bytes], ...]]:
    status, body, headers = domain_problem(exc, correlation_of_scope(scope))
    # X-Correlation-ID is left to ``logged`` (every answer here is sent through it), which
    # appends it to an answer that has none.
    raw = tuple(
        (name.lower().encode(), value.encode("latin-1")) for name, value in headers.items() if name != _CORRELATION
    )
    return status, _ENCODE(body), _PROBLEM_JSON, raw


@lru_cache(maxsize=256)  # a refusal's numbers are few: a bucket's size, and seconds to wait
def _rendered_refusal(decision: RateDecision) -> tuple[tuple[tuple[bytes, bytes], ...], bytes, bytes]:
    """A rate-limited answer's headers and its body around the correlation id, rendered by the
    same ``_problem`` as every other answer here (so the two cannot drift apart), then split.
    A correlation id goes into JSON as it is: ours are hex, a client's pass ``_ACCEPTABLE``."""
    marker = "0" * 32  # a correlation id's shape, standing in for the request's
    _status, body, _, headers = _problem({"state": {"correlation_id": marker}}, RateLimitedError(decision))  # type: ignore[typeddict-item]
    before, after = body.split(marker.encode())
    return headers, before, after


async def _send(
    send: Send, status: int, body: bytes, media_type: bytes, headers: tuple[tuple[bytes, bytes], ...]
) -> None:
    raw = [*headers, (b"content-type", media_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _answer_unexpected(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """What the app's exception handlers answer (503 for a lost dependency, else 500, logged)."""
    handler = next(h for cls, h in EXCEPTION_HANDLERS.items() if isinstance(exc, cls))
    request: Request[Any, Any, Any] = Request(scope, receive)
    app: Litestar = scope["app"]
    response = handler(request, exc)
    await response.to_asgi_response(app, request)(scope, receive, send)
