"""HTTP metrics per route template, and ``GET /metrics`` for Prometheus to scrape.

Our own middleware rather than Litestar's ``PrometheusMiddleware``: that one registers its
series in prometheus_client's process-global registry (shared by every app in the process, so
tests leak values into each other), and it labels a request whose exception escapes to the
app's handlers (e.g. a bad ``Idempotency-Key``, raised by the /v1 router's middleware) as 200.

App-level middleware runs only for requests that matched a route, so ``path_template`` (set by
the router, e.g. ``/v1/holds/{hold_id}``) is always there; unmatched paths (404, 405) are not
counted, which also keeps clients from minting series with made-up paths.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from loguru import logger

from domain.reconciliation import ReconciliationStatus
from infrastructure.metrics import PrometheusMetrics
from interfaces.http.errors import answered_status

SCRAPE_READ_SECONDS = 2.0
RECENT_RUNS = 20  # enough to find the latest finished run of each kind  # Prometheus' default scrape timeout is 10 s


def _metrics(scope: Scope) -> PrometheusMetrics:
    metrics: PrometheusMetrics = scope["app"].state.container.gateways.metrics()
    return metrics


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Counts and times each request by method, route template and status."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_noting_status)
        except Exception as exc:  # answered by the app's exception handlers, outside this middleware
            status = status or answered_status(exc)
            raise
        finally:  # a request cancelled before it was answered (the client left) is not counted
            if status is not None:
                route = scope.get("path_template") or "unmatched"
                _metrics(scope).http_request(scope["method"], route, status, time.perf_counter() - started)

    return middleware


async def _observe_jobs(state: State) -> None:
    """The job queue's depth and the dead letters, read now; a failure is logged, and the
    scrape still returns every other metric (the gauges keep their last values)."""
    container = state.container
    try:
        async with asyncio.timeout(SCRAPE_READ_SECONDS):
            status = await container.use_cases.get_jobs_status()()
    except Exception as exc:
        logger.warning("metrics: could not read the job queue ({!r})", exc)
        return
    container.gateways.metrics().queue_observed(status.queue, status.dead_letters)


async def _observe_webhook_inbox(state: State) -> None:
    """The webhook inbox's lag and dead events, read now within a bound (the scrape stays fast
    when the database hangs); on failure the gauges keep their last values."""
    container = state.container
    try:
        async with asyncio.timeout(SCRAPE_READ_SECONDS):
            backlog = await container.use_cases.get_webhook_backlog()()
    except Exception as exc:
        logger.warning("metrics: could not read the webhook inbox ({!r})", exc)
        return
    container.gateways.metrics().webhook_inbox_observed(backlog.lag_seconds, backlog.dead)


async def _observe_reconciliations(state: State) -> None:
    """The drift the latest finished run of each kind left unrepaired, read from the record:
    runs happen in workers or on the command line, not in the process being scraped."""
    container = state.container
    try:
        async with asyncio.timeout(SCRAPE_READ_SECONDS):
            runs = await container.use_cases.get_reconciliation().recent(RECENT_RUNS)
    except Exception as exc:
        logger.warning("metrics: could not read the reconciliations ({!r})", exc)
        return
    latest: dict[str, int] = {}
    for run in runs:  # newest first
        if run.status is ReconciliationStatus.SUCCEEDED:
            latest.setdefault(run.kind.value, run.drift)
    for kind, drift in latest.items():
        container.gateways.metrics().reconciliation_finished(kind, drift)


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response[Any]:
    """This process's metrics in Prometheus' text format (no API key: keep it off the public edge)."""
    await _observe_jobs(state)
    await _observe_webhook_inbox(state)
    await _observe_reconciliations(state)
    body, content_type = state.container.gateways.metrics().exposition()
    return Response(content=body, media_type=content_type)
