"""The documentation pages under ``/schema`` (ReDoc at the root and at ``/redoc``, Swagger UI at
``/swagger``) and the JavaScript, CSS and icon they load, served by this service itself.

Litestar's render plugins load their assets from CDNs by default (and ReDoc its fonts from Google),
so on a machine without internet every page rendered white. The assets come from the pinned
``drf-spectacular-sidecar`` distribution (pyproject.toml says why that one): its package holds the
upstream ``swagger-ui-dist`` and ``redoc`` builds, with their licences, as plain files. We read its
directory without importing it (its ``__init__`` imports Django, which we never run).

The URLs carry the distribution's version, so the files can be cached for a year: an upgrade
changes every URL. They are under ``/schema``, which the public edge (ops/nginx.conf) does not
forward, like the pages themselves.

Every response under ``/schema`` carries a Content-Security-Policy that lets the pages load from
this service only: ReDoc's side menu shows Redocly's logo from its CDN whatever the options, and
with the policy the browser never asks for it (the image hides itself; the link's text stays).
"""

from __future__ import annotations

import importlib.util
from importlib.metadata import version
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.static_files import create_static_files_router

DOCS_PATH = "/schema"
ASSETS_DISTRIBUTION = "drf-spectacular-sidecar"
ASSETS_PACKAGE = "drf_spectacular_sidecar"
ASSETS_PATH = f"{DOCS_PATH}/assets/{version(ASSETS_DISTRIBUTION)}"
ASSETS_MAX_AGE = 365 * 24 * 3600  # the URL names the version: a file under it never changes
# Inline scripts and styles: Litestar's pages start the viewers inline, and both viewers set styles
# at run time; ReDoc runs its search in a worker made from a blob.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _assets_directory() -> Path:
    """The package's static directory, found without running the package (it imports Django)."""
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{ASSETS_DISTRIBUTION} is not installed: the documentation pages need it")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / ASSETS_PACKAGE


def _asset(name: str) -> str:
    return f"{ASSETS_PATH}/{name}"


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """ReDoc at ``/schema`` and ``/schema/redoc``, Swagger UI at ``/schema/swagger``, the document
    as JSON and YAML; every asset from ``ASSETS_PATH``, no font or icon from elsewhere."""
    favicon = f"<link rel='icon' type='image/png' href='{_asset('swagger-ui-dist/favicon-32x32.png')}'>"
    return [
        RedocRenderPlugin(
            path=["/", "/redoc"],
            js_url=_asset("redoc/bundles/redoc.standalone.js"),
            google_fonts=False,
            favicon=favicon,
        ),
        SwaggerRenderPlugin(
            path="/swagger",
            js_url=_asset("swagger-ui-dist/swagger-ui-bundle.js"),
            css_url=_asset("swagger-ui-dist/swagger-ui.css"),
            standalone_preset_js_url=_asset("swagger-ui-dist/swagger-ui-standalone-preset.js"),
            favicon=favicon,
        ),
        JsonRenderPlugin(),
        YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
    ]


def docs_router() -> Router:
    """The router Litestar adds the pages and the document to (``/schema``), with the assets under
    it: ``GET /schema/assets/<version>/...``, cacheable for a year."""
    assets = create_static_files_router(
        path=ASSETS_PATH.removeprefix(DOCS_PATH),
        directories=[_assets_directory()],
        name="docs_assets",
        cache_control=CacheControlHeader(max_age=ASSETS_MAX_AGE, public=True),
        include_in_schema=False,
    )
    return Router(
        path=DOCS_PATH,
        route_handlers=[assets],
        # What Litestar's own router for them sets: the document does not describe its pages.
        include_in_schema=False,
        dto=None,
        return_dto=None,
        response_headers=[ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY)],
    )
