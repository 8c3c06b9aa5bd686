"""The pages' static files: ours (``/static``) and htmx, from the pinned ``django-js-lib-htmx``
package's upstream build (``/vendor/htmx/<version>/``). Nothing comes from a CDN, so the
pages work offline; the vendor URL names the version, so browsers may keep it for a year."""

from __future__ import annotations

from importlib import metadata, resources
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
HTMX_VERSION = metadata.version("django-js-lib-htmx")
HTMX_URL = f"/vendor/htmx/{HTMX_VERSION}/htmx.min.js"


def _htmx_directory() -> Path:
    return Path(str(resources.files("js_lib_htmx") / "static" / "htmx"))


def asset_routers() -> list[Router]:
    ours = create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="static",
        include_in_schema=False,
        opt={"public": True},
        cache_control=CacheControlHeader(max_age=300),
    )
    vendor = create_static_files_router(
        path=f"/vendor/htmx/{HTMX_VERSION}",
        directories=[_htmx_directory()],
        name="vendor-htmx",
        include_in_schema=False,
        opt={"public": True},
        cache_control=CacheControlHeader(max_age=31536000, public=True),
    )
    return [ours, vendor]
