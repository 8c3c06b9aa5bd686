"""The landing page and the operations console in a real browser: they render offline under
their CSP, an admin replays a dead letter, others are refused, forms need their CSRF token,
and axe-core finds no serious or critical accessibility violation on any page."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN, DEAD_EVENT, MANAGER, SIZES, Served, Visit

CONSOLE_PAGES = [
    "/console",
    "/console/inventory",
    "/console/jobs",
    "/console/webhooks",
    "/console/reconciliations",
    "/console/system",
]
AXE = Axe()


def _screenshots(visit: Visit, name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each page at desktop and phone sizes, kept where HOLDFAST_TEST_SCREENSHOTS says (the
    README's come from `HOLDFAST_TEST_SCREENSHOTS=docs/screenshots`), else in the run's temp.
    The embedded default's only: the production profile's pages look the same."""
    if visit.profile != "embedded":
        return
    page = visit.page
    directory = Path(os.environ.get("HOLDFAST_TEST_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(directory / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["desktop"])


def _accessible(page: Page) -> None:
    results = AXE.run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_the_landing_page_says_what_holdfast_is_and_its_links_work(
    visit: Visit, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page = visit.open("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Holdfast")
    # Development: the demo listings, linked to their booking pages (built by a later release).
    demo = page.get_by_role("region", name=re.compile("Demo listings"))
    expect(demo.get_by_role("link", name="Holdfast Live: The Rush")).to_have_attribute("href", re.compile(r"^/book/"))
    for name, status in (("API documentation", 200), ("Operations console", 200)):
        link = page.get_by_role("link", name=name)
        href = link.get_attribute("href")
        assert href is not None
        assert httpx.get(visit.base + href, follow_redirects=True).status_code == status, href
    _accessible(page)
    _screenshots(visit, "landing", tmp_path_factory)
    page.get_by_role("link", name="Operations console").click()
    expect(page).to_have_url(re.compile("/console/login$"))  # signed out: the sign-in form
    visit.assert_clean()


def test_the_landing_page_stays_json_for_api_clients(served: Served) -> None:
    answer = httpx.get(served.base + "/")
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["api"] == "/v1"


def test_the_pages_carry_their_security_headers(served: Served) -> None:
    for path in ("/", "/console/login"):
        headers = httpx.get(served.base + path, headers={"Accept": "text/html"}).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy, policy
        assert "frame-ancestors 'none'" in policy, policy
        assert (headers["x-frame-options"], headers["x-content-type-options"]) == ("DENY", "nosniff")
        assert headers["referrer-policy"] == "same-origin"


def test_an_admin_signs_in_and_replays_a_dead_letter(
    visit: Visit, served: Served, tmp_path_factory: pytest.TempPathFactory
) -> None:
    visit.open("/console/login")
    _screenshots(visit, "console-login", tmp_path_factory)
    _accessible(visit.page)
    page = visit.sign_in(ADMIN)
    expect(page).to_have_url(re.compile("/console$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    cookies = {cookie["name"]: cookie for cookie in visit.context.cookies()}
    assert cookies["hf_access"]["httpOnly"]
    assert cookies["hf_refresh"]["httpOnly"]
    assert cookies["hf_access"]["sameSite"] == "Lax"

    for path in CONSOLE_PAGES:
        page = visit.open(path)
        _accessible(page)
        _screenshots(visit, "console-" + (path.removeprefix("/console").strip("/") or "overview"), tmp_path_factory)

    page = visit.open("/console/inventory")  # the demo show: 4 of its 920 seats held, none sold
    show = page.locator("#inventory tr", has_text="Holdfast Live: The Rush")
    expect(show.locator("td")).to_have_text(["Holdfast Live: The Rush", "4", "0", "920"])

    page = visit.open("/console/reconciliations")
    expect(page.locator("svg circle")).to_have_count(4)  # one point per run on the drift chart
    expect(page.get_by_role("cell", name="2", exact=True)).to_have_count(1)  # the run with drift 2

    page = visit.open("/console/jobs")
    row = page.locator(f"#letter-{served.letter_id}")
    row.get_by_role("button", name=re.compile("^Replay")).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_contain_text(f"Dead letter {served.letter_id} replayed")
    expect(row).to_contain_text("replayed")
    expect(row.get_by_role("button")).to_have_count(0)
    _screenshots(visit, "console-jobs-replayed", tmp_path_factory)
    visit.assert_clean()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/console/login$"))
    visit.open("/console/jobs")
    expect(visit.page).to_have_url(re.compile("/console/login$"))  # the session is over


def test_a_user_who_is_not_an_admin_is_refused(visit: Visit, tmp_path_factory: pytest.TempPathFactory) -> None:
    page = visit.sign_in(MANAGER)
    expect(page.get_by_role("alert")).to_contain_text("may not use the console")
    assert {cookie["name"] for cookie in visit.context.cookies()} <= {"csrftoken"}  # no session kept
    _accessible(page)
    _screenshots(visit, "console-refused", tmp_path_factory)
    assert visit.open("/console/jobs").url.endswith("/console/login")


def test_a_wrong_password_is_told_and_not_signed_in(visit: Visit) -> None:
    page = visit.sign_in((ADMIN[0], "not the password at all"))
    expect(page.get_by_role("alert")).to_contain_text("email or the password is wrong")
    assert "hf_access" not in {cookie["name"] for cookie in visit.context.cookies()}


def test_a_form_post_without_its_csrf_token_is_refused(visit: Visit, served: Served) -> None:
    visit.sign_in(ADMIN)
    request = visit.context.request  # the browser's cookies (session and CSRF cookie), no form token
    target = f"{served.base}/console/jobs/dead-letters/{served.letter_id}/replay"
    refused = request.post(target, form={"nothing": "here"}, max_redirects=0)
    assert refused.status == 403, refused.text()
    forged = request.post(target, form={"_csrf_token": "forged" * 20}, max_redirects=0)
    assert forged.status == 403, forged.text()
    # Signing in is a form too.
    login = request.post(f"{served.base}/console/login", form={"email": ADMIN[0], "password": ADMIN[1]})
    assert login.status == 403, login.text()


def test_v1_and_the_stripe_webhook_need_no_csrf_token(served: Served) -> None:
    """JSON routes authenticate with a key or a Bearer token, never a cookie: not CSRF-checked."""
    answer = httpx.post(
        served.base + "/v1/auth/login",
        json={
            "tenant_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
            "email": "x@example.com",
            "password": "wrong password",
        },
    )
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_credentials")
    hook = httpx.post(served.base + "/v1/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert hook.status_code == 400, hook.text


def test_a_page_refreshes_a_run_out_access_token_through_the_refresh_rotation(visit: Visit) -> None:
    visit.sign_in(ADMIN)
    first = {cookie["name"]: cookie["value"] for cookie in visit.context.cookies()}
    visit.context.clear_cookies(name="hf_access")  # as if it had run out
    expect(visit.open("/console/jobs").get_by_role("heading", level=1)).to_have_text("Jobs")
    second = {cookie["name"]: cookie["value"] for cookie in visit.context.cookies()}
    assert second["hf_access"]
    assert second["hf_refresh"] != first["hf_refresh"]  # rotated: the one sent is used up
    # The used-up refresh token sent again ends the whole family (RefreshSessionHandler's rule).
    visit.context.clear_cookies(name="hf_access")
    visit.context.add_cookies([{"name": "hf_refresh", "value": first["hf_refresh"], "url": visit.base + "/console"}])
    visit.open("/console/jobs")
    expect(visit.page).to_have_url(re.compile("/console/login$"))


def test_a_signed_out_poll_sends_the_page_to_the_sign_in_form(served: Served) -> None:
    """htmx follows a redirect inside the panel it refreshes; HX-Redirect moves the whole page."""
    answer = httpx.get(served.base + "/console/live", headers={"HX-Request": "true"})
    assert (answer.status_code, answer.headers["hx-redirect"]) == (204, "/console/login")


def test_an_admin_replays_a_dead_webhook_event(visit: Visit) -> None:
    visit.sign_in(ADMIN)
    page = visit.open("/console/webhooks?status=dead")
    row = page.locator("tr", has_text=DEAD_EVENT)
    expect(row.locator("td").nth(2)).to_have_text("dead")
    row.get_by_role("button", name=f"Replay event {DEAD_EVENT}").click()
    page.wait_for_load_state("networkidle")
    row = page.locator("tr", has_text=DEAD_EVENT)  # the whole inbox now: the event is handled
    expect(row.locator("td").nth(2)).to_have_text("ignored")
    visit.assert_clean()
