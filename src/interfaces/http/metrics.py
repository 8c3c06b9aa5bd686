"""HTTP metrics per route template, and ``GET /metrics`` for Prometheus to scrape.

Recorded by our own middleware (``correlation_middleware``, with the correlation id and the
access line) rather than Litestar's ``PrometheusMiddleware``: that one registers its series in
prometheus_client's process-global registry (shared by every app in the process, so
tests leak values into each other), and it labels a request whose exception escapes to the
app's handlers (e.g. a bad ``Idempotency-Key``, raised by the /v1 router's middleware) as 200.

The middleware wraps routing itself (``HoldfastApp._create_asgi_handler``), so requests routing
refuses (404, 405) are counted too: by ``path_template`` (set by the router, e.g.
``/v1/holds/{hold_id}``) when a route matched, else as route ``unmatched``, and with a method
outside the standard ones as ``OTHER``, so clients cannot mint series with made-up paths or methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from litestar import Response, get
from litestar.datastructures import State
from litestar.types import Scope
from loguru import logger

from infrastructure.metrics import PrometheusMetrics

T = TypeVar("T")

# The methods a metric is labelled with by name; any other a client sends is "OTHER".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

SCRAPE_READ_SECONDS = 2.0  # per read; Prometheus' default scrape timeout is 10 s


def _metrics(scope: Scope) -> PrometheusMetrics:
    """The app's recorder, found once per app (a container provider call on every request cost
    about as much as recording the request)."""
    app = scope["app"]
    recorder: PrometheusMetrics | None = getattr(app, "holdfast_metrics", None)
    if recorder is None:
        recorder = app.state.container.gateways.metrics()
        app.holdfast_metrics = recorder
    return recorder


def record_http_request(scope: Scope, status: int, seconds: float) -> None:
    """Counts and times one answered request by method, route template and status (called by
    ``correlation_middleware``, which already wraps ``send`` and times the request)."""
    route = scope.get("path_template") or "unmatched"
    method = scope["method"] if scope["method"] in METHODS else "OTHER"
    _metrics(scope).http_request(method, route, status, seconds)


async def _read(what: str, read: Awaitable[T]) -> T | None:
    """A value the scrape reports, read now within a bound (the scrape stays fast when the
    database or Redis hangs); on failure it is logged, and its gauges keep their last values
    while every other metric is still served."""
    try:
        async with asyncio.timeout(SCRAPE_READ_SECONDS):
            return await read
    except Exception as exc:
        logger.warning("metrics: could not read {} ({!r})", what, exc)
        return None


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response[Any]:
    """This process's metrics in Prometheus' text format (no API key: keep it off the public edge)."""
    use_cases, recorder = state.container.use_cases, state.container.gateways.metrics()
    jobs, backlog, drift, inventory_missing = await asyncio.gather(
        _read("the job queue", use_cases.get_jobs_status()()),
        _read("the webhook inbox", use_cases.get_webhook_backlog()()),
        _read("the reconciliations", use_cases.get_reconciliation().latest_drift()),
        _read("the inventory state", use_cases.check_inventory_state()()),
    )
    if jobs is not None:
        recorder.queue_observed(jobs.queue, jobs.dead_letters, jobs.failing)
    if backlog is not None:
        recorder.webhook_inbox_observed(backlog.lag_seconds, backlog.dead)
    if inventory_missing is not None:
        recorder.inventory_state_observed(inventory_missing)
    # Read from the record: runs happen in workers or on the command line, not in this process.
    for kind, left in (drift or {}).items():
        recorder.reconciliation_finished(kind.value, left)
    body, content_type = recorder.exposition()
    return Response(content=body, media_type=content_type)
