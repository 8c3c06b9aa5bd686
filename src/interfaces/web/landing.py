"""The landing page at ``/`` for browsers: what the service is, where its API documents and
console are, and in development the demo listings' booking pages. Clients asking for JSON
still get ``routes/root.py``'s links document."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from interfaces.demo import demo_listings
from interfaces.web.headers import page_headers


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser's ``Accept`` ranks text/html first; API clients (and no Accept) get JSON."""
    best = request.accept.best_match(["application/json", "text/html"], default="application/json")
    return best == "text/html"


async def landing(request: Request[Any, Any, Any]) -> Template:
    state = request.app.state
    development = state.settings.environment == "development"
    listings = await demo_listings(state.container) if development else []
    context = {
        "version": state.container.core.build_info().version,
        "development": development,
        "listings": listings,
    }
    # Not on the pages' router (``/`` is the API's too), so its headers are set here.
    return Template("landing.html", context=context, headers=dict(page_headers(state.settings.frame_ancestors)))
