"""The ``Idempotency-Key`` header on every mutating /v1 request (attached to the /v1 router).

An ASGI middleware rather than per-handler code, so no mutating route can forget it, and
because a replay must be the stored bytes, not a response rebuilt by a handler. It buffers the
request body (to fingerprint it, then hands the same bytes on) and the response (it is stored
before the client sees it). The rules themselves live in the ``RunIdempotently`` use case; its
errors are raised from here and answered as problem+json by the app's exception handlers.

Requests without the header pass straight through. A keyed request whose X-API-Key
authenticates nobody is answered 401 before its body is read (on /v1 by
``authentication_middleware``, outside this one; on the routers without it, here).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from litestar.exceptions import ClientException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from loguru import logger

from application.ports.idempotency import StoredResponse
from application.use_cases.run_idempotently import RunIdempotently
from domain.identity import Actor
from interfaces.http.dependencies import authenticated_actor

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Replayed from the record; the rest (correlation id, length) belongs to each response anew.
KEPT_HEADERS = frozenset({"content-type", "location"})


def key_owner(actor: Actor) -> UUID:
    """Whose keys a key names: a tenant's (its API keys share them, as before users), or one
    signed-in user's, since a tenant's customers are strangers to each other: one customer's
    key must never replay (or refuse) another's request. A user's is a name derived from the
    tenant and the user (UUIDv5), so the stores keep their (owner, key) records unchanged."""
    if actor.user_id is None:
        return actor.tenant.id
    return uuid5(actor.tenant.id, actor.subject)


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    """Runs each keyed mutating request once per owner (``key_owner``) and key; repeats get the
    stored response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, IDEMPOTENCY_HEADER) if scope.get("method") in MUTATING else None
        if key is None:
            await app(scope, receive, send)
            return
        actor = await authenticated_actor(scope)  # before the body: a bad key is a 401, unread
        body = await _read_body(scope, receive)
        command = RunIdempotently(key_owner(actor), key, scope["method"], _target(scope), body)
        recorder = _Recorder(app, scope, _replaying(body, receive))
        result = await _container(scope).use_cases.run_idempotently()(command, recorder.run)
        if not result.stored:
            logger.warning("Idempotency-Key not settled (the store failed); the response is sent all the same")
        if result.replayed:
            await _send_stored(send, result.response)
        else:
            await recorder.forward(send)

    return middleware


class _Recorder:
    """Runs the app and keeps its response messages, to store them before anyone sees them."""

    def __init__(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        self._app, self._scope, self._receive = app, scope, receive
        self._messages: list[Message] = []

    async def run(self) -> StoredResponse:
        await self._app(self._scope, self._receive, self._keep)
        start = next(m for m in self._messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self._messages if m["type"] == "http.response.body")
        return StoredResponse(start["status"], _kept(start.get("headers", ())), body)

    async def forward(self, send: Send) -> None:
        for message in self._messages:
            await send(message)

    async def _keep(self, message: Message) -> None:
        self._messages.append(message)


async def _send_stored(send: Send, response: StoredResponse) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
    headers += [(b"content-length", str(len(response.body)).encode()), (REPLAYED_HEADER.lower().encode(), b"true")]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


def _kept(headers: Any) -> tuple[tuple[str, str], ...]:
    pairs = ((name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in headers)
    return tuple((name, value) for name, value in pairs if name in KEPT_HEADERS)


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole body, refused past the route's size limit as Litestar itself would refuse it."""
    limit = scope["route_handler"].resolve_request_max_body_size()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientException("the client disconnected before sending the whole body")
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if limit is not None and size > limit:
            raise ClientException("Request Entity Too Large", status_code=413)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then listens to the client again."""
    pending = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replay


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode()
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == wanted), None)


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope['path']}?{query}" if query else scope["path"]


def _container(scope: Scope) -> Any:
    return scope["app"].state.container
