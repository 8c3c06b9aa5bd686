"""What each console page shows, read through the same use cases as ``/v1/ops``."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import State

from application.use_cases.list_webhook_events import ListWebhookEventsHandler
from domain.webhooks import InboxStatus
from infrastructure.diagnostics import env_sanity, version_report
from interfaces.http.webhook_schemas import page_request
from interfaces.web.charts import bars, line, load_rows, polyline

SIGN_IN_ERRORS = {
    "forbidden": "This account may not use the console: it is for the operators' admins.",
    "login_locked": "Too many failed sign-ins: this account is locked for a while. Try again later.",
}
RECENT_RUNS = 30


def sign_in_error(code: str) -> str:
    return SIGN_IN_ERRORS.get(code, "The email or the password is wrong.")


async def overview(state: State) -> dict[str, Any]:
    use_cases = state.container.use_cases
    found = await use_cases.get_jobs_status()()
    stats = found.queue
    backlog = await use_cases.get_webhook_backlog()()
    counts = [
        ("queued", stats.queued),
        ("scheduled", stats.scheduled),
        ("active", stats.active),
        ("dead letters", found.dead_letters),
        ("dead webhooks", backlog.dead),
    ]
    return {
        "queue": state.settings.jobs,
        "counts": counts,
        "bars": bars(counts),
        "failing": found.failing,
        "backlog": backlog,
    }


async def inventory(state: State) -> dict[str, Any]:
    loads = await state.container.use_cases.get_live_inventory()()
    return {"loads": loads, "rows": load_rows(loads)}


async def jobs(state: State) -> dict[str, Any]:
    use_cases = state.container.use_cases
    letters = await use_cases.list_dead_letters()(include_replayed=True, limit=100)
    return {"status": await use_cases.get_jobs_status()(), "letters": letters, "queue": state.settings.jobs}


async def webhooks(state: State, status: str | None) -> dict[str, Any]:
    chosen = InboxStatus(status) if status in {item.value for item in InboxStatus} else None
    listing: ListWebhookEventsHandler = state.container.use_cases.list_webhook_events()
    page = await listing(chosen, page_request(100, None))
    backlog = await state.container.use_cases.get_webhook_backlog()()
    return {
        "events": page.items,
        "status": chosen,
        "statuses": [item.value for item in InboxStatus],
        "backlog": backlog,
    }


async def reconciliations(state: State) -> dict[str, Any]:
    runs = await state.container.use_cases.get_reconciliation().recent(RECENT_RUNS)
    oldest_first = list(reversed(runs))
    drift = [(run.created_at.strftime("%m-%d %H:%M"), run.drift) for run in oldest_first]
    points = line(drift)
    return {"runs": runs, "points": points, "polyline": polyline(points)}


async def system(state: State) -> dict[str, Any]:
    container, gateways = state.container, state.container.gateways
    build = container.core.build_info()
    version = await version_report(build, gateways.database())
    sanity = await env_sanity(
        state.settings, gateways.database(), gateways.redis(), build.migration_head, gateways.job_rounds()
    )
    return {"version": version, "sanity": sanity, "settings": state.settings}
