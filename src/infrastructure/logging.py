"""Loguru set-up: JSON lines in production, readable lines in development.

A production line is one compact JSON object (``_json_line``): ``time`` (UTC, ISO 8601),
``level``, ``message``, ``logger`` (the module), then the line's context fields at the top level
(``correlation_id`` always; ``tenant_id``, ``job``, ``job_id``, ``trace_id``, ``span_id`` when
known; whatever else the call bound, e.g. ``status`` and ``duration_ms`` on access lines; a
field named like one of the five above is written ``extra.<name>``), and ``exception``
(``type``, ``value``, ``traceback``) when one is logged. Not loguru's own ``serialize`` record:
that is about a kilobyte a line of loguru internals (file, elapsed, icon, process, thread), and
costs a stdlib ``json`` encode of all of it per line.

Every line carries the correlation id of the request (or job) it belongs to; the tenant once a
request is authenticated (``tenant_id``); ``job_id`` and ``job`` while a job runs; and, with
tracing on, the current span's ``trace_id`` and ``span_id``. Emails, card numbers, secrets and
the values of sensitive keys are masked before anything is written (see ``log_masking``).

Lines are written in batches (``_BatchingStream``): a request pays for formatting its line and
appending it to a list, not for its own masking pass over the finished text nor its own write
to the terminal or pipe. Batches are written ``FLUSH_SECONDS`` after their first line, at
``flush_logs()`` (the app's shutdown calls it; so do tests that read what was written) and when
the sink is removed (loguru removes its sinks at exit).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TextIO

import msgspec
from loguru import logger

from infrastructure.log_masking import mask_extra_by_key, mask_text, mask_value
from infrastructure.settings import Settings

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")
# What a request learns after its context was opened (the tenant, by an auth dependency). A dict
# shared by reference, so a value set in another task of the same request reaches later lines.
_request_fields: ContextVar[dict[str, str] | None] = ContextVar("holdfast_request_log_fields", default=None)
# With tracing on: the current span's ids for each line (set by configure_logging).
_trace_fields: Callable[[], dict[str, str]] | None = None

_TAGS = ("tenant_id", "job", "job_id", "trace_id")
FLUSH_SECONDS = 0.05
BATCH_LINES = 512


class request_log_context:
    """Every line logged in the block carries ``ident`` as its correlation id, plus whatever
    ``bind_request_fields`` adds later in the request. (A class rather than a generator-based
    context manager: entered on every request, and a third of the price.)"""

    __slots__ = ("_fields", "_ident", "_token")

    def __init__(self, ident: str) -> None:
        self._ident = ident

    def __enter__(self) -> None:
        self._token, self._fields = correlation_id.set(self._ident), _request_fields.set({})

    def __exit__(self, *_exc: object) -> None:
        _request_fields.reset(self._fields)
        correlation_id.reset(self._token)


def bind_request_fields(**fields: str) -> None:
    """Adds fields (e.g. ``tenant_id``) to every later line of the current request; a no-op
    outside a request."""
    current = _request_fields.get()
    if current is not None:
        current.update(fields)


@contextmanager
def job_log_context(job_id: str, job_name: str, correlation: str | None = None) -> Iterator[None]:
    """Every line logged while the block runs carries ``job_id`` and ``job``.

    For workers, around each job they run::

        with job_log_context(job.id, job.function, correlation=payload.get("correlation_id")):
            await handler(payload)

    ``correlation`` is the correlation id of the request that enqueued the job, when the payload
    carries it; without one, the job id stands in, so a job's lines can still be found together.
    Works in sync and async code (it binds through a context variable, per task).
    """
    token = correlation_id.set(correlation or job_id)
    try:
        with logger.contextualize(job_id=job_id, job=job_name):
            yield
    finally:
        correlation_id.reset(token)


def _patch(record: Any) -> None:
    extra = record["extra"]
    extra.setdefault("correlation_id", correlation_id.get())
    for key, value in (_request_fields.get() or {}).items():
        extra.setdefault(key, value)
    if _trace_fields is not None:
        extra.update(_trace_fields())
    # Emails, cards and secrets in text (the message, plain values, exception text) are masked
    # on the finished line by the writer; here only what the keys say must be hidden.
    mask_extra_by_key(extra)


_RESERVED = frozenset({"time", "level", "message", "logger", "exception"})
_encode_json = msgspec.json.Encoder(enc_hook=str).encode  # context values of other types as text


def _json_line(record: Any) -> str:
    """The production line (see the module's docstring), kept in the record for the format."""
    error = record["exception"]
    record["extra"]["_json_line"] = _json_document(
        record["time"], record["level"].name, record["message"], record["name"], record["extra"], error
    )
    return "{extra[_json_line]}\n"


def _json_document(moment: datetime, level: str, message: str, name: str, extra: dict[str, Any], error: Any) -> str:
    line: dict[str, Any] = {
        "time": moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "level": level,
        "message": mask_text(message),
        "logger": name,
    }
    for key, value in extra.items():  # masked by key already (the patcher); their text here
        if key != "_json_line":
            line[f"extra.{key}" if key in _RESERVED else key] = mask_value(value)
    if error is not None:
        line["exception"] = {
            "type": getattr(error.type, "__name__", None),
            "value": mask_text(str(error.value)),
            "traceback": mask_text("".join(traceback.format_exception(error.type, error.value, error.traceback))),
        }
    return _encode_json(line).decode()


def log_access(method: str, path: str, status: int, seconds: float) -> None:
    """A request's access line: ``METHOD path status N.Nms`` with ``status`` and ``duration_ms``.

    In production, while Holdfast's own JSON writer is loguru's only sink (as ``configure_logging``
    leaves it), the line is made here, with the same fields and masking as ``_json_line``, and
    handed to the writer: loguru's record (a frame lookup, a clock read with its time zone, a
    dict of a dozen entries, a format pass) cost about 40 us a request, most of an access line.
    Anywhere else (development, a sink added by someone else, INFO filtered out) it goes through
    ``logger.info`` as every other line.
    """
    duration_ms = round(seconds * 1000, 2)
    writer = _writer
    if writer is None or not writer.json_lines or not _only_sink_is_ours():
        # Bound rather than passed as keyword arguments: loguru would format the message with
        # those, and a path may hold braces.
        message = f"{method} {path} {status} {seconds * 1000:.1f}ms"
        logger.bind(status=status, duration_ms=duration_ms).patch(_named_access).info(message)
        return
    # The line ``_json_document`` would make of the same fields, built with what is known of them:
    # status and duration are numbers, the correlation id is masked as text, and the request's
    # fields (the tenant's id, the same on request after request) are masked once per value.
    tail = f"{status} {seconds * 1000:.1f}ms"
    head = _masked_request_line(method, path)
    ident = correlation_id.get()
    line: dict[str, Any] = {
        "time": _utc_now_text(),
        "level": "INFO",
        "message": f"{head} {tail}" if head is not None else mask_text(f"{method} {path} {tail}"),
        "logger": _ACCESS_LOGGER,
        "status": status,
        "duration_ms": duration_ms,
        "correlation_id": mask_text(ident),
    }
    fields = _request_fields.get()
    if fields:
        for key, value in fields.items():
            named = f"extra.{key}" if key in _RESERVED else key
            if named not in line:
                line[named] = _masked_field(key, value) if type(value) is str else _masked_value(key, value)
    if _trace_fields is not None:
        for key, value in _trace_fields().items():
            line[f"extra.{key}" if key in _RESERVED else key] = _masked_value(key, value)
    writer.write(_encode_json(line).decode() + "\n")


def _masked_value(key: str, value: Any) -> Any:
    """A field's value as ``mask_extra_by_key`` then ``_json_document`` would write it."""
    extra = {key: value}
    mask_extra_by_key(extra)
    return mask_value(extra[key])


@lru_cache(maxsize=4096)
def _masked_field(key: str, value: str) -> Any:
    return _masked_value(key, value)


@lru_cache(maxsize=4096)
def _masked_request_line(method: str, path: str) -> str | None:
    """``METHOD path`` masked, kept for the paths a service answers again and again. The status
    and duration after it are digits a card-like run could only join if the path ended in a
    digit: None then, and the caller masks the whole line as one text."""
    return None if path[-1:].isdigit() else mask_text(f"{method} {path}")


_second: int | None = None
_second_text = ""


def _utc_now_text() -> str:
    """Now, as ``_json_document`` writes a line's ``time`` (``2026-12-03T22:01:13.131519Z``); the
    date and time to the second formatted once a second (a datetime and its ``isoformat`` cost
    more than the rest of an access line's fields together)."""
    global _second, _second_text
    now = time.time()
    whole = int(now)
    if whole != _second:
        _second, _second_text = whole, datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_second_text}.{int((now - whole) * 1_000_000):06d}Z"


_ACCESS_LOGGER = "interfaces.http.middleware"  # the access line's ``logger``, whoever writes it


def _named_access(record: Any) -> None:
    record["name"] = _ACCESS_LOGGER


_our_sink: int | None = None  # loguru's id of the JSON writer's sink, while it logs INFO


_sinks_seen: tuple[object, bool] = (None, False)  # loguru's handlers dict last looked at, and the answer


def _only_sink_is_ours() -> bool:
    global _sinks_seen
    handlers = getattr(getattr(logger, "_core", None), "handlers", None)  # loguru has no public list
    # loguru replaces its dict of handlers whenever a sink is added or removed: the same dict, the
    # same answer (asked on every access line).
    if handlers is _sinks_seen[0] and handlers is not None:
        return _sinks_seen[1]
    ours = _our_sink is not None and isinstance(handlers, dict) and len(handlers) == 1 and _our_sink in handlers
    _sinks_seen = (handlers, ours)
    return ours


def _readable(record: Any) -> str:
    """The development line: time, level, correlation id, the context tags it has, the message."""
    tags = "".join(f" {key}={{extra[{key}]}}" for key in _TAGS if key in record["extra"])
    head = "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> <cyan>{extra[correlation_id]}</cyan>"
    return head + (f"<dim>{tags}</dim>" if tags else "") + " {message}\n{exception}"


class _BatchingStream:
    """Masks the finished lines (development's readable ones; a production JSON line is masked
    value by value as it is made) and writes them in batches.

    Masked once more as text: exception text (a driver's error may quote the row it failed to
    write) is formatted after the patcher has run. One masking pass and one write per batch, not
    per line (the patterns never span a line break, so the result is the same).

    Lines logged in the event loop wait for a drain the loop runs ``FLUSH_SECONDS`` later (or
    sooner, past ``BATCH_LINES``); anywhere else (command line, threads) they are written at
    once. Not a writer thread: measured, a thread fighting the event loop for the GIL made
    ``GET /health/live`` slower and its p99 ten times worse than writing each line in place.
    loguru calls ``flush`` after every line; it is a no-op here, ``drain`` writes.
    """

    def __init__(self, stream: TextIO, *, json_lines: bool) -> None:
        self._stream, self.json_lines = stream, json_lines
        self._pending: list[str] = []
        self._drain_on: asyncio.AbstractEventLoop | None = None  # the loop a drain is due on
        self._lock = threading.Lock()  # a line logged from another thread while a batch is taken

    def write(self, text: str) -> None:
        with self._lock:
            # The text alone: loguru's message carries its whole record, and records kept alive
            # across a batch survive into the older GC generations (measured: a p99 ten times worse).
            self._pending.append(str(text))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in an event loop's thread: no batching
            self.drain()
            return
        if len(self._pending) >= BATCH_LINES:
            self.drain()
        elif self._drain_on is not loop:  # (a drain due on a loop since closed never comes)
            self._drain_on = loop
            loop.call_later(FLUSH_SECONDS, self.drain)

    def flush(self) -> None:
        """Called by loguru after every line: the batch is written by ``drain`` instead."""

    def isatty(self) -> bool:
        return self._stream.isatty()

    def drain(self) -> None:
        self._drain_on = None
        with self._lock:
            text, self._pending = "".join(self._pending), []
        if not text:
            return
        try:
            # A JSON line's text was masked value by value as it was made (``_json_line``).
            self._stream.write(text if self.json_lines else mask_text(text))
            self._stream.flush()
        except (OSError, ValueError):  # the stream closed under us (a pipe gone, a test's capture)
            pass

    def stop(self) -> None:
        """Called by loguru when the sink is removed (at ``configure_logging`` and at exit)."""
        self.drain()


_writer: _BatchingStream | None = None


def flush_logs() -> None:
    """Writes every line logged so far (at shutdown, or before reading what was written)."""
    if _writer is not None:
        _writer.drain()


class _ToLoguru(logging.Handler):
    """Sends the standard library's records (uvicorn, SQLAlchemy) through loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        level: str | int = record.levelname if record.levelname in logger._core.levels else record.levelno  # type: ignore[attr-defined]
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def configure_logging(settings: Settings) -> None:
    global _trace_fields, _writer, _our_sink
    if settings.otel != "off":
        from infrastructure.tracing import require_opentelemetry, trace_fields

        require_opentelemetry(settings)
        _trace_fields = trace_fields
    else:
        _trace_fields = None
    production = settings.environment == "production"
    logger.remove()
    logger.configure(patcher=_patch)
    options: dict[str, Any] = {"level": settings.log_level, "backtrace": False, "diagnose": False}
    _writer = _BatchingStream(sys.stdout if production else sys.stderr, json_lines=production)
    if production:
        sink = logger.add(_writer, format=_json_line, **options)
        _our_sink = sink if logger.level(settings.log_level).no <= logger.level("INFO").no else None
    else:
        logger.add(_writer, format=_readable, **options)
        _our_sink = None
    logging.basicConfig(handlers=[_ToLoguru()], level=logging.INFO, force=True)
