"""The pages, assembled: the console's routes behind CSRF protection and the security headers,
the static files, and the template engine. ``create_app`` mounts ``pages_router`` beside
``/v1`` (the pages are never under ``/v1``, whose routes must each name a permission).

CSRF: Litestar's double-submit token (a ``csrftoken`` cookie, echoed in each form's hidden
``_csrf_token`` field or htmx's ``X-CSRFToken`` header), checked by its middleware on this
router only. ``/v1`` (JSON with an API key or Bearer token, never a cookie) and the Stripe
webhook (signed) carry no cookies a browser would send for a forged request, and stay exempt
by being outside this router.
"""

from __future__ import annotations

import hashlib

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from infrastructure.settings import Settings
from interfaces.web.assets import HTMX_URL, TEMPLATES, asset_routers
from interfaces.web.console import ConsoleController, SignInController
from interfaces.web.headers import security_headers_middleware

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"


def csrf_config(settings: Settings) -> CSRFConfig:
    """Signed with a secret every process shares: derived from the access tokens' signing key
    (HOLDFAST_JWT_KEYS, which production requires), never that key itself."""
    _kid, signing = settings.jwt_signing_keys[0]
    secret = hashlib.sha256(f"holdfast csrf:{signing}".encode()).hexdigest()
    secure = settings.environment == "production"
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=secure,
        cookie_samesite="lax",
        cookie_path="/",
    )


def pages_router(settings: Settings) -> Router:
    return Router(
        path="/",
        route_handlers=[SignInController, ConsoleController],
        include_in_schema=False,
        middleware=[
            security_headers_middleware,
            DefineMiddleware(CSRFMiddleware, config=csrf_config(settings)),
        ],
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    def globals_(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals.update(htmx_url=HTMX_URL)
        engine.engine.autoescape = True

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=globals_)


def page_routes(settings: Settings) -> list[Router]:
    return [pages_router(settings), *asset_routers()]
