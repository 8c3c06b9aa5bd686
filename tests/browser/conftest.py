"""Browser tests of the pages (interfaces/web): a real `holdfast serve` on the embedded default
(a migrated SQLite copy, seeded here), Debian's chromium driven by Playwright (`make
system-deps` installs it; Playwright's own browser download is not used), one browser for the
whole session. Every request to another origin is refused and fails the test: the pages must
work offline."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Route
from redis.asyncio import Redis

from application.ports.jobs import DeadLetter
from application.ports.payments import GatewayEvent
from application.ports.repositories import PageRequest
from application.ports.webhooks import InboxEntry
from application.use_cases.identity.console import CreateUser
from application.use_cases.place_hold import PlaceHold
from application.use_cases.register_tenant import RegisterTenant
from domain.reconciliation import Finding, Reconciliation, ReconciliationKind, ReconciliationScope
from domain.roles import Role
from domain.webhooks import InboxStatus
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from interfaces.demo import DEMO_TENANT, load_demo
from tests.chromium import chromium
from tests.databases import migrated_postgres, truncate_all
from tests.integration.worker_stack import serve

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 30_000  # a bound on waiting for a page, not a timing under test
ADMIN = ("admin@ops.example", "a long console password")
MANAGER = ("manager@ops.example", "another long password")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclass(frozen=True)
class Served:
    base: str
    letter_id: UUID  # a dead letter waiting for a replay
    profile: str  # embedded or production


async def _seed(settings: Settings) -> UUID:
    """What the tests need, made through the use cases: the operators' tenant with an admin and
    a manager (`holdfast create-user`'s use case), the demo listings, one dead letter (as
    tests/e2e/test_ops_jobs.py makes them)."""
    container = build_container(settings)
    try:
        await container.use_cases.register_tenant()(RegisterTenant("operator"))
        create = container.use_cases.create_user()
        await create(CreateUser("operator", ADMIN[0], "Ada Admin", Role.ADMIN, ADMIN[1]))
        await create(CreateUser("operator", MANAGER[0], "Max Manager", Role.MANAGER, MANAGER[1]))
        await load_demo(container)
        await _hold_demo_seats(container)
        letter = DeadLetter(uuid4(), "expire_holds", {}, None, "Traceback...\nRuntimeError: boom", 5, datetime.now(UTC))
        await container.gateways.dead_letters().add(letter)
        await _reconciliations(container)
        await _dead_event(container)
        return letter.id
    finally:
        await close_container(container)


async def _hold_demo_seats(container: Any) -> None:
    """Four seats of the demo show's zone A held for ten minutes: the inventory chart's live holds."""
    async with container.gateways.uow() as uow:
        tenant = await uow.tenants.find_by_name(DEMO_TENANT)
    async with container.gateways.uow() as uow:
        listings = await uow.listings.list(tenant.id, PageRequest(limit=20))
        show = next(listing for listing in listings.items if listing.name == "Holdfast Live: The Rush")
        zone_a = next(pool for pool in await uow.pools.for_listing(tenant.id, show.id) if pool.code == "zone-a")
    hold = PlaceHold(tenant.id, show.id, "browser-test", ((zone_a.id, 4),), ttl_seconds=600)
    await container.use_cases.place_hold()(hold)


DEAD_EVENT = "evt_pages_dead"


async def _dead_event(container: Any) -> None:
    """A Stripe event that failed every attempt (as tests/e2e/test_webhook_inbox_metrics.py stores
    them), of a type Holdfast does not act on: a replay handles it as ignored."""
    received = datetime.now(UTC) - timedelta(minutes=5)
    event = GatewayEvent(DEAD_EVENT, "customer.created", received, {"id": "cus_1"})
    entry = InboxEntry(event, InboxStatus.DEAD, 8, received, received, last_error="RuntimeError: boom")
    async with container.gateways.uow() as uow:
        assert await uow.webhooks.add(entry)
        await uow.commit()


async def _reconciliations(container: Any) -> None:
    """Finished inventory runs, an hour apart, with drift 0, 2, 1, 0: the drift chart's data."""
    start = datetime.now(UTC) - timedelta(hours=4)
    for hour, drift in enumerate((0, 2, 1, 0)):
        at = start + timedelta(hours=hour)
        run = Reconciliation(uuid4(), ReconciliationKind.INVENTORY, ReconciliationScope(), False, "operator:ops", at)
        run.start(at)
        findings = [Finding(f"pool:{uuid4()}", "held", 3, 3 + n, "engine counts more", -n) for n in range(1, drift + 1)]
        run.succeed(findings, at + timedelta(seconds=5))
        async with container.gateways.uow() as uow:
            await uow.reconciliations.add(run)
            await uow.commit()


PAGES_DATABASE = "holdfast_pages"
PAGES_REDIS_DB = 13


def _profile(name: str, request: pytest.FixtureRequest, where: Path) -> dict[str, str]:
    """The `HOLDFAST_*` settings of a profile, its stores made empty: the embedded default (a
    migrated SQLite copy), or the production profile's stores and engine (Postgres, the redis
    engine) on the session's servers."""
    if name == "embedded":
        database = where / "holdfast.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), database)
        return {"HOLDFAST_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    database_url = migrated_postgres(request.getfixturevalue("postgres_url"), PAGES_DATABASE)
    redis_url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + f"/{PAGES_REDIS_DB}"
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps an event loop in this thread
        pool.submit(asyncio.run, _empty(database_url, redis_url)).result()
    return {
        "HOLDFAST_DATABASE_URL": database_url,
        "HOLDFAST_REDIS_URL": redis_url,
        "HOLDFAST_INVENTORY_ENGINE": "redis",
    }


async def _empty(database_url: str, redis_url: str) -> None:
    await truncate_all(database_url)
    client = Redis.from_url(redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


# Module-scoped (not session): Playwright's sync API runs an event loop in this thread while it is
# open, and pytest-asyncio cannot run the async tests collected after these ones until it closes.
@pytest.fixture(scope="module", params=["embedded", "production"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    where = tmp_path_factory.mktemp(f"pages-{request.param}")
    profile = _profile(request.param, request, where)
    settings = Settings(
        database_url=profile["HOLDFAST_DATABASE_URL"],
        redis_url=profile.get("HOLDFAST_REDIS_URL"),
        inventory_engine=profile.get("HOLDFAST_INVENTORY_ENGINE", "sql"),  # type: ignore[arg-type]
    )
    with ThreadPoolExecutor(1) as pool:
        letter_id = pool.submit(asyncio.run, _seed(settings)).result()
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("HOLDFAST_")}
    env = {
        **base_env,
        **profile,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "HOLDFAST_WORKERS": "1",
        "HOLDFAST_EXPIRY_SWEEP_SECONDS": "0",
        "HOLDFAST_EMAIL_DIR": str(where / "mail"),
    }
    process, base = serve(env, where / "serve.log")
    try:
        yield Served(base, letter_id, request.param)
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@dataclass
class Visit:
    """A browser context of its own (its own cookies), and what its pages did wrong: requests to
    other origins (aborted), console errors (a CSP refusal is one), uncaught errors."""

    context: BrowserContext
    page: Page
    base: str
    profile: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str, status: int = 200) -> Page:
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response is not None
        assert response.status == status, (path, response.status)
        self.assert_clean()
        return self.page

    def assert_clean(self) -> None:
        assert self.foreign == [], f"requests to other origins: {self.foreign}"
        assert self.errors == [], self.errors

    def sign_in(self, who: tuple[str, str]) -> Page:
        page = self.open("/console/login")
        page.get_by_label("Email").fill(who[0])
        page.get_by_label("Password").fill(who[1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        return page


@pytest.fixture
def visit(browser: Browser, served: Served) -> Iterator[Visit]:
    context = browser.new_context(service_workers="block", viewport=SIZES["desktop"])
    page = context.new_page()
    seen = Visit(context, page, served.base, served.profile)

    def only_ours(route: Route, request: Request) -> None:
        if request.url.startswith(f"{served.base}/"):
            route.continue_()
        else:
            seen.foreign.append(request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and "status of 403" not in message.text and "status of 401" not in message.text:
            seen.errors.append(f"console: {message.text} at {message.location}")

    context.route("**/*", only_ours)
    page.on("console", console)
    page.on("pageerror", lambda error: seen.errors.append(f"page error: {error}"))
    page.set_default_timeout(WAIT_MS)
    try:
        yield seen
    finally:
        context.close()
