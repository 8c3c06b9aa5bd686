"""The documentation pages (/schema, /schema/swagger, /schema/redoc) render with no request leaving
the service: every script, style sheet, font and icon they load is served by Holdfast itself.

Real `holdfast serve` (the embedded default) and a real browser: Debian's chromium (`make
system-deps` installs it), driven by Playwright. Every request the page makes is intercepted: one to
any other origin is refused and fails the test, as it would fail (silently, with a white page) on a
machine without internet.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route

from tests.chromium import chromium
from tests.integration.worker_stack import serve

ROOT = Path(__file__).resolve().parents[2]
RENDER_TIMEOUT_MS = 30_000  # a bound on waiting for the page to draw, not a timing under test
# ReDoc's side menu shows Redocly's logo from its CDN whatever its options; the pages' policy
# (Content-Security-Policy, interfaces/http/docs.py) has the browser refuse it without asking.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CSP_REFUSAL = re.compile(r"^Loading the \w+ '([^']+)' violates the following Content Security Policy")


@pytest.fixture(scope="module")
def served(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`holdfast serve` on a migrated SQLite copy; its base URL."""
    where = tmp_path_factory.mktemp("docs")
    database = where / "holdfast.db"
    shutil.copy(sqlite_template, database)
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("HOLDFAST_")}
    env = {
        **base_env,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "HOLDFAST_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "HOLDFAST_WORKERS": "1",
        "HOLDFAST_EXPIRY_SWEEP_SECONDS": "0",
    }
    process, base = serve(env, where / "serve.log")
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@dataclass
class Visit:
    """What a page did: requests to other origins (aborted here), loads its policy refused (never
    sent), console errors, uncaught errors."""

    page: Page
    foreign: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: Browser, served: str) -> Iterator[Visit]:
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    seen = Visit(page)

    def only_ours(route: Route, request: Request) -> None:
        if request.url.startswith(f"{served}/"):
            route.continue_()
        else:
            seen.foreign.append(request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if refusal := CSP_REFUSAL.match(message.text):
            seen.refused.append(refusal.group(1))
        elif message.type == "error":
            seen.errors.append(f"console: {message.text} at {message.location}")

    context.route("**/*", only_ours)
    page.on("console", console)
    page.on("pageerror", lambda error: seen.errors.append(f"page error: {error}"))
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    try:
        yield seen
    finally:
        context.close()


def _assert_offline(visit: Visit) -> None:
    assert visit.foreign == [], f"requests to other origins: {visit.foreign}"
    assert visit.errors == [], visit.errors
    assert set(visit.refused) <= {REDOCLY_LOGO}, f"loads the pages' policy refused: {visit.refused}"


def _open(visit: Visit, url: str) -> Page:
    response = visit.page.goto(url, wait_until="networkidle")
    assert response is not None
    assert response.status == 200
    _assert_offline(visit)  # first: a page whose scripts were refused never draws
    return visit.page


def _screenshot(page: Page, name: str) -> None:
    """Kept when HOLDFAST_TEST_SCREENSHOTS names a directory: to look at what the test saw."""
    if directory := os.environ.get("HOLDFAST_TEST_SCREENSHOTS"):
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("path", ["/schema", "/schema/redoc"])
def test_redoc_renders_with_nothing_from_outside(visit: Visit, served: str, path: str) -> None:
    page = _open(visit, served + path)
    # ReDoc draws the API's title and, in its side menu, the operations.
    page.locator("#redoc-container h1", has_text="Holdfast").wait_for()
    page.locator("#redoc-container .menu-content li", has_text="hold").first.wait_for()
    page.locator("#redoc-container", has_text="/v1/holds").first.wait_for()
    _screenshot(page, path.strip("/").replace("/", "-"))
    _assert_offline(visit)


def test_swagger_renders_with_nothing_from_outside(visit: Visit, served: str) -> None:
    page = _open(visit, f"{served}/schema/swagger")
    page.locator(".swagger-ui .info .title", has_text="Holdfast").wait_for()
    operation = page.locator(".opblock-summary-path[data-path='/v1/holds']").first
    operation.wait_for()
    # Its style sheet applied (a page without it draws the same text, unstyled): POST is green.
    colour = page.locator(".opblock-post .opblock-summary-method").first.evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
    _screenshot(page, "schema-swagger")
    _assert_offline(visit)


def test_the_pages_assets_are_cached_for_long(visit: Visit, served: str) -> None:
    """Their URLs name the assets' version, so browsers may keep them for a year."""
    seen: list[tuple[str, str | None]] = []
    visit.page.on(
        "response",
        lambda response: (
            seen.append((response.url, response.headers.get("cache-control")))
            if "/schema/assets/" in response.url
            else None
        ),
    )
    _open(visit, f"{served}/schema/swagger")
    visit.page.locator(".opblock-summary-path").first.wait_for()
    assert len(seen) >= 3, seen  # the script, the preset, the style sheet (and the icon)
    for url, cache_control in seen:
        assert "max-age=31536000" in (cache_control or ""), (url, cache_control)
