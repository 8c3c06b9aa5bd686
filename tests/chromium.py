"""Debian's chromium driven by Playwright, for the tests that look at pages in a real browser
(tests/e2e/test_docs_pages.py, tests/browser/). Playwright's own browser download does not work
on these machines; `make test` installs chromium (ops/install-system-deps.sh)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = os.environ.get("HOLDFAST_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def chromium() -> Iterator[Browser]:
    """The browser, open for the block. Use it from a module fixture, never a session one: the
    sync API runs an event loop in this thread while it is open, and the async tests collected
    after would not start."""
    # Not a skip: `make test` installs chromium, and a run without it must not pass silently.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        # No background traffic of the browser's own (updates, safe browsing): only the page's.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()
