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
from interfaces.http.middleware import correlation_middleware
from interfaces.http.routes.bookings import BookingController
from interfaces.http.routes.health import live, ready
from interfaces.http.routes.holds import HoldController
from interfaces.http.routes.listings import ListingController, PoolController
from interfaces.http.strict_body import strict_body
from interfaces.workers.expiry_sweep import sweep_forever

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
        sweep = None
        if settings.expiry_sweep_seconds > 0:
            expire = container.use_cases.expire_holds()
            sweep = asyncio.create_task(sweep_forever(expire, settings.expiry_sweep_seconds))
        try:
            yield
        finally:
            if sweep is not None:
                sweep.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweep
            await close_container(container)

    return lifespan


def create_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)
    configure_logging(settings)
    v1 = Router(
        path="/v1",
        route_handlers=[ListingController, PoolController, HoldController, BookingController],
        dependencies={"tenant": Provide(provide_tenant), "now": Provide(provide_now, sync_to_thread=False)},
        security=[{"ApiKey": []}],
        before_request=strict_body,
    )
    return Litestar(
        route_handlers=[v1, live, ready],
        middleware=[correlation_middleware],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"container": container, "settings": settings}),
        lifespan=[_lifespan(container, settings)],
        openapi_config=_openapi(),
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
    )
