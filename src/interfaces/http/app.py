"""The Litestar application, assembled in one place."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from infrastructure.container import Container, build_container, close_container
from infrastructure.logging import configure_logging
from infrastructure.settings import Settings
from interfaces.http.dependencies import API_KEY_HEADER, provide_now, provide_tenant
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.idempotency import idempotency_middleware
from interfaces.http.metrics import metrics, metrics_middleware
from interfaces.http.middleware import correlation_middleware
from interfaces.http.openapi import document_idempotency
from interfaces.http.routes.bookings import BookingController
from interfaces.http.routes.dev import DevController
from interfaces.http.routes.health import live, ready
from interfaces.http.routes.holds import HoldController
from interfaces.http.routes.ledger import LedgerController
from interfaces.http.routes.listings import ListingController, PoolController
from interfaces.http.routes.ops import ops_router
from interfaces.http.routes.webhooks import webhook_router
from interfaces.http.strict_body import strict_body
from interfaces.workers.expiry_sweep import sweep_forever
from interfaces.workers.idempotency_purge import PURGE_EVERY_SECONDS, purge_forever
from interfaces.workers.webhook_retry import retry_forever

MAX_BODY_BYTES = 1024 * 1024


def _openapi() -> OpenAPIConfig:
    scheme = SecurityScheme(type="apiKey", name=API_KEY_HEADER, security_scheme_in="header")
    return OpenAPIConfig(
        title="Holdfast",
        version="1",
        description="Holds that never oversell, bookings, and the inventory behind them.",
        path="/schema",
        components=Components(security_schemes={"ApiKey": scheme}),
    )


def _lifespan(container: Container, settings: Settings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        loops = []
        if settings.expiry_sweep_seconds > 0:
            expire = container.use_cases.expire_holds()
            loops.append(asyncio.create_task(sweep_forever(expire, settings.expiry_sweep_seconds)))
            unpaid = container.use_cases.expire_bookings()
            loops.append(asyncio.create_task(sweep_forever(unpaid, settings.expiry_sweep_seconds, "bookings")))
            purge = container.use_cases.purge_idempotency_keys()
            loops.append(asyncio.create_task(purge_forever(purge, PURGE_EVERY_SECONDS)))
        if settings.webhook_retry_seconds > 0:
            retry = container.use_cases.retry_webhook_events()
            loops.append(asyncio.create_task(retry_forever(retry, settings.webhook_retry_seconds)))
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
            await close_container(container)

    return lifespan


def create_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)
    configure_logging(settings)
    container.core.build_info()  # the commit and migration head, read at start-up, not per request
    v1 = Router(
        path="/v1",
        route_handlers=[
            ListingController,
            PoolController,
            HoldController,
            BookingController,
            LedgerController,
            *([DevController] if settings.payments == "fake" else []),
        ],
        dependencies={"tenant": Provide(provide_tenant), "now": Provide(provide_now, sync_to_thread=False)},
        security=[{"ApiKey": []}],
        before_request=strict_body,
        middleware=[idempotency_middleware],
    )
    app = Litestar(
        route_handlers=[v1, webhook_router, ops_router, live, ready, metrics],
        middleware=[correlation_middleware, metrics_middleware],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"container": container, "settings": settings}),
        lifespan=[_lifespan(container, settings)],
        openapi_config=_openapi(),
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
    )
    document_idempotency(app)
    return app
