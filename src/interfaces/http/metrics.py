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

import time
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.metrics import PrometheusMetrics
from interfaces.http.errors import answered_status


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


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics(state: State) -> Response[Any]:
    """This process's metrics in Prometheus' text format (no API key: keep it off the public edge)."""
    body, content_type = state.container.gateways.metrics().exposition()
    return Response(content=body, media_type=content_type)
