"""Correlation ids, HTTP metrics and one access-log line per request (but for a flood's refusals,
counted in one line a second: ``RefusalTally``)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import time
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from loguru import logger

from domain.text import printable
from infrastructure.logging import bind_request_fields, log_access, request_log_context
from interfaces.http.audit_context import request_audit_context
from interfaces.http.errors import answered_status
from interfaces.http.metrics import record_http_request

HEADER = "x-correlation-id"
_HEADER = HEADER.encode()
# Taken only whole (fullmatch: "$" would let a final line feed through into the echoed header and
# the log lines); anything else is replaced by a fresh id rather than refused, since a request is
# not wrong for carrying a poor tracing id.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


# A fresh id is this process's random prefix and a counter (32 hex digits, like a UUID's): unique
# across processes without a system call for randomness on every request. A forked worker draws
# a prefix of its own (it would otherwise repeat its parent's ids).
_PREFIX = secrets.token_hex(8)
_COUNTER = itertools.count(1)


def _new_prefix() -> None:
    global _PREFIX
    _PREFIX = secrets.token_hex(8)


os.register_at_fork(after_in_child=_new_prefix)


def _fresh() -> str:
    return f"{_PREFIX}{next(_COUNTER):016x}"


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == _HEADER:
            text = value.decode("latin-1")
            return text if _ACCEPTABLE.fullmatch(text) else None
    return None


# Set in a request's scope state by the hold hot path when it hands a request it has already
# timed and logged on to the Litestar route: the middleware below must not do it again.
HANDED_ON = "holdfast_handed_on"


def correlation_of_scope(scope: Scope) -> str:
    """The request's correlation id: the one already chosen, else the client's (if well-formed)
    or a fresh one, kept in the scope's state from then on."""
    state = scope.setdefault("state", {})
    ident: str | None = state.get("correlation_id")  # type: ignore[assignment]
    if ident is None:
        ident = _incoming(scope) or _fresh()
        state["correlation_id"] = ident  # type: ignore[typeddict-item]
    return ident


def correlation_middleware(app: ASGIApp) -> ASGIApp:
    """Takes the client's X-Correlation-ID (if well-formed) or makes one; echoes it and logs with it;
    counts and times the request by method, route template and status. ``HoldfastApp`` wraps it
    around routing, so requests no route matches (404, 405) are answered and logged alike."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("state", {}).get(HANDED_ON):
            await app(scope, receive, send)
            return
        ident = correlation_of_scope(scope)
        trusted = scope["app"].state.trusted_proxies
        with request_log_context(ident), request_audit_context(scope, ident, trusted):
            await logged(app, scope, receive, send, ident)

    return middleware


def _with_correlation(message: Message, ident: str) -> None:
    """The answer's start carrying ``X-Correlation-ID: ident`` once. Most answers come without
    one and get it appended (a scan of a few tuples); an error answer already names it (the
    exception handlers set it) and has it replaced, through Litestar's header view (which
    costs several times the scan: it was 4 % of a refusal's time)."""
    headers = message.get("headers")
    if isinstance(headers, list) and not any(name == _HEADER for name, _ in headers):
        headers.append((_HEADER, ident.encode("latin-1")))
        return
    MutableScopeHeaders.from_message(message)["X-Correlation-ID"] = ident  # type: ignore[arg-type]


class RefusalTally:
    """Refusals a flood gets, logged as one line per identity, route and second rather than a line
    each (the hot path's rate-limited answers told from the limiter's latch: ``RateGate.known_refusal``).

    A client that keeps sending after its 429 would otherwise turn its flood into a flood of log
    lines: the log pipeline is the first thing such a client overwhelms, and a line per refusal
    was a third of what answering it cost. Each refusal is still counted in the HTTP metrics
    (status 429) and still answered with its own correlation id; the line says how many there
    were (``refused``), for whom (``subject``, ``tenant_id``), and the correlation ids of the first
    (the line's ``correlation_id``) and the last (``last_correlation_id``). Written a second after
    the first refusal it counts, and at shutdown (``flush``)."""

    WINDOW_SECONDS = 1.0

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, object, str], list[Any]] = {}
        self._due = False

    def add(self, method: str, path: str, tenant_id: object, subject: str, ident: str) -> None:
        key = (method, path, tenant_id, subject)
        entry = self._counts.get(key)
        if entry is not None:
            entry[0] += 1
            entry[2] = ident
            return
        self._counts[key] = [1, ident, ident]
        if not self._due:
            self._due = True
            asyncio.get_running_loop().call_later(self.WINDOW_SECONDS, self.flush)

    def flush(self) -> None:
        self._due = False
        counts, self._counts = self._counts, {}
        for (method, path, tenant_id, subject), (refused, first, last) in counts.items():
            shown = path if path.isprintable() else printable(path)
            with request_log_context(first):
                bind_request_fields(tenant_id=str(tenant_id))
                logger.bind(status=429, refused=refused, subject=subject, last_correlation_id=last).info(
                    "{} {} 429 rate_limited x{} (a flood's refusals, one line a second)", method, shown, refused
                )


async def logged(app: ASGIApp, scope: Scope, receive: Receive, send: Send, ident: str) -> None:
    """Runs the request, echoing the correlation id, then records its HTTP metrics and writes its
    access-log line: one ``send`` wrapper and one clock for the three (they used to be two
    middlewares, each wrapping ``send`` and timing the request)."""
    started = time.perf_counter()
    status: int | None = None

    async def send_with_header(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            _with_correlation(message, ident)
        await send(message)

    try:
        await app(scope, receive, send_with_header)
    except Exception as exc:  # answered by the outer exception handlers: log what they answer
        status = status or answered_status(exc)
        raise
    finally:
        seconds = time.perf_counter() - started
        if status is not None:  # a request cancelled before it was answered (the client left) is not counted
            record_http_request(scope, status, seconds)
        logged = 500 if status is None else status
        path = scope["path"]
        log_access(scope["method"], path if path.isprintable() else printable(path), logged, seconds)
