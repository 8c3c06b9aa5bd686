"""The Litestar application, assembled in one place."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar._asgi.utils import wrap_in_exception_handler
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware._internal.cors import CORSMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OpenAPI, SecurityScheme

from infrastructure.container import Container, build_container, close_container
from infrastructure.logging import configure_logging, flush_logs
from infrastructure.settings import Settings
from infrastructure.tracing import http_tracing
from interfaces.http.dependencies import (
    API_KEY_HEADER,
    authentication_middleware,
    provide_actor,
    provide_now,
    provide_tenant,
)
from interfaces.http.docs import docs_router, render_plugins
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.hot_path import HotPath
from interfaces.http.idempotency import idempotency_middleware
from interfaces.http.metrics import metrics
from interfaces.http.middleware import correlation_middleware
from interfaces.http.openapi import (
    document_idempotency,
    document_json_bodies,
    document_permissions,
    document_rate_limits,
)
from interfaces.http.permissions import check_permissions, permission_middleware, route_permissions
from interfaces.http.query import known_query_parameters, note_query_parameters
from interfaces.http.rate_limits import RateGate, rate_limit_middleware
from interfaces.http.routes.api_keys import ApiKeyController
from interfaces.http.routes.audit_logs import AuditLogController
from interfaces.http.routes.auth import auth_router, me_router
from interfaces.http.routes.booking_changes import BookingChangeController, DevBookingChangeController
from interfaces.http.routes.bookings import BookingController
from interfaces.http.routes.dev import DevController
from interfaces.http.routes.health import live, ready
from interfaces.http.routes.holds import HoldController
from interfaces.http.routes.ledger import LedgerController
from interfaces.http.routes.listings import ListingController, PoolController
from interfaces.http.routes.ops import ops_router
from interfaces.http.routes.overbooking import PoolOverbookingController
from interfaces.http.routes.owners import ListingOwnerController, OwnerController
from interfaces.http.routes.pricing import PricingController, QuoteController
from interfaces.http.routes.public import public_router
from interfaces.http.routes.reports import ReportController
from interfaces.http.routes.root import root
from interfaces.http.routes.seat_maps import SeatMapController
from interfaces.http.routes.staff import StaffController
from interfaces.http.routes.stays import StayController
from interfaces.http.routes.waiting_room import WaitingRoomController
from interfaces.http.routes.webhook_endpoints import WebhookEndpointController
from interfaces.http.routes.webhooks import webhook_router
from interfaces.http.startup import rebuild_lost_inventory
from interfaces.http.strict_body import strict_body
from interfaces.web.router import page_routes, template_config
from interfaces.workers.jobs import job_handlers

MAX_BODY_BYTES = 1024 * 1024


class HoldfastApp(Litestar):
    """Litestar, with ``POST /v1/holds`` and ``POST /v1/bookings`` answered by the hot path
    (``interfaces.http.hot_path``) before routing; the path hands every request it does not
    answer itself back to this app."""

    hot_path: HotPath | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.hot_path is not None and scope["type"] == "http" and (route := self.hot_path.route(scope)):
            scope["app"] = scope["litestar_app"] = self
            scope.setdefault("state", {})
            await self.hot_path(route, scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _routed(self, scope: Any, receive: Any, send: Any) -> None:
        """Litestar's own handling of a request (what the hot path hands on to)."""
        await super().__call__(scope, receive, send)

    def _create_asgi_handler(self) -> Any:
        """Litestar's handler (routing inside its exception handler, inside tracing's span) with
        correlation ids, HTTP metrics and the access line around routing: as app middleware they
        ran only for matched routes, so a 404 or 405 of routing itself answered ``-`` and went
        unlogged. Still inside the span, so the access line carries the trace ids."""
        handler = correlation_middleware(wrap_in_exception_handler(app=self.asgi_router))
        if self.cors_config:
            handler = CORSMiddleware(app=handler, config=self.cors_config)
        with contextlib.suppress(KeyError):
            handler = self.plugins.get("OpenTelemetryPlugin").middleware(app=handler)
        return handler


# The OpenAPI document depends only on which routes an app serves (the development routes, and
# tracing's plugin, are the only things that change them). Building and documenting it took half
# a second an app: most of an e2e test's set-up, a test building an app of its own. So it is made
# once a process for each route set, and later apps are handed the same (finished, read-only)
# document through the OpenAPI plugin's cache (a private slot: Litestar has no public setter).
_DOCUMENTS: dict[tuple[bool, bool], OpenAPI] = {}


def _document(app: Litestar, settings: Settings) -> None:
    key = (settings.serves_dev_routes, settings.otel != "off")
    plugin = app.plugins.get(OpenAPIPlugin)
    if (made := _DOCUMENTS.get(key)) is not None:
        plugin._openapi = made
        return
    document_idempotency(app)
    document_json_bodies(app)
    document_rate_limits(app)
    document_permissions(app)
    _DOCUMENTS[key] = app.openapi_schema


def _openapi() -> OpenAPIConfig:
    scheme = SecurityScheme(type="apiKey", name=API_KEY_HEADER, security_scheme_in="header")
    # A signed-in user's access token (POST /v1/auth/login): `Authorization: Bearer <jwt>`.
    bearer = SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
    return OpenAPIConfig(
        title="Holdfast",
        version="1",
        description="Holds that never oversell, bookings, and the inventory behind them.",
        # /schema: every page works offline, its assets being ours (interfaces/http/docs.py).
        openapi_router=docs_router(),
        render_plugins=render_plugins(),
        components=Components(security_schemes={"ApiKey": scheme, "Bearer": bearer}),
    )


def _lifespan(container: Container, settings: Settings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        # The embedded default runs its jobs here; with SAQ, `holdfast worker` runs them.
        queue = container.gateways.jobs() if settings.jobs == "in-process" else None
        if queue is not None:
            queue.start(job_handlers(container))
        rebuild = asyncio.create_task(rebuild_lost_inventory(container))
        if settings.inventory_engine == "redis":  # hear units given back from the start (stopped by close_container)
            container.gateways.inventory().sold_out.listen()
        try:
            yield
        finally:
            rebuild.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await rebuild
            if queue is not None:
                await queue.stop()
            await close_container(container)
            if isinstance(_app, HoldfastApp) and _app.hot_path is not None:
                _app.hot_path.refusals.flush()  # the last second's tally of a flood's refusals
            flush_logs()  # the batched log lines of the last requests

    return lifespan


def create_app(
    settings: Settings | None = None, container: Container | None = None, *, hot_path: bool = True
) -> HoldfastApp:
    """The service. ``hot_path=False`` answers the hot routes through Litestar's routes alone,
    as tests that compare the two paths need; tracing (OTel) does so too, since the hot path
    makes no spans."""
    settings = settings or Settings.from_env()
    container = container or build_container(settings)
    configure_logging(settings)
    container.core.build_info()  # the commit and migration head, read at start-up, not per request
    rate_gate = RateGate(container)
    v1 = Router(
        path="/v1",
        route_handlers=[
            ListingController,
            PoolController,
            PoolOverbookingController,
            HoldController,
            BookingController,
            LedgerController,
            WebhookEndpointController,
            ApiKeyController,
            WaitingRoomController,
            AuditLogController,
            StaffController,
            SeatMapController,
            ListingOwnerController,
            OwnerController,
            ReportController,
            StayController,
            PricingController,
            QuoteController,
            BookingChangeController,
            *([DevController, DevBookingChangeController] if settings.serves_dev_routes else []),
        ],
        dependencies={
            "tenant": Provide(provide_tenant),
            "actor": Provide(provide_actor),
            "now": Provide(provide_now, sync_to_thread=False),
        },
        security=[{"ApiKey": []}, {"Bearer": []}],
        before_request=strict_body,
        guards=[known_query_parameters],
        # Authentication first: a request without a valid key is 401 before its body is read;
        # then the role's permission (403), then its rate limits (429), all before the body is read
        # (interfaces/http/permissions.py, rate_limits.py); the hot path checks in the same order.
        middleware=[authentication_middleware, permission_middleware, rate_limit_middleware, idempotency_middleware],
    )
    app = HoldfastApp(
        route_handlers=[
            v1,
            auth_router,
            me_router,
            public_router,
            webhook_router,
            ops_router,
            root,
            live,
            ready,
            metrics,
            *page_routes(settings),  # the pages (interfaces/web), beside /v1, never under it
        ],
        template_config=template_config(),
        plugins=[] if settings.otel == "off" else [http_tracing(container.gateways.tracer_provider())],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State(
            {
                "container": container,
                "settings": settings,
                "rate_gate": rate_gate,
                # parsed once: the rate limits and every request's audit context read them
                "trusted_proxies": rate_gate.trusted,
            }
        ),
        lifespan=[_lifespan(container, settings)],
        openapi_config=_openapi(),
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
    )
    check_permissions(app)  # a /v1 route that declares no permission stops the start here
    _document(app, settings)
    note_query_parameters(app)
    if hot_path and settings.otel == "off":
        app.hot_path = HotPath(container, app._routed, MAX_BODY_BYTES, route_permissions(app), rate_gate)
    return app
