"""Operations endpoints (/v1/ops): for operator keys only, never for plain tenant keys."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Router, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery, Parameter, QueryParameter

from application.audit import bind_audit_actor
from application.ports.repositories import MAX_PAGE_SIZE
from application.use_cases.authorize_operator import OPERATOR_SCOPE
from application.use_cases.list_webhook_events import ListWebhookEventsHandler
from application.use_cases.replay_webhook_event import ReplayWebhookEventHandler
from domain.webhooks import InboxStatus
from interfaces.http.dependencies import API_KEY_HEADER, use_case
from interfaces.http.idempotency import idempotency_middleware
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor
from interfaces.http.query import known_query_parameters
from interfaces.http.routes.ops_diagnostics import DiagnosticsController
from interfaces.http.routes.ops_jobs import JobsOpsController
from interfaces.http.routes.ops_reconciliations import ReconciliationOpsController
from interfaces.http.strict_body import strict_body
from interfaces.http.text import LINE_PATTERN
from interfaces.http.webhook_schemas import WebhookEventOut, WebhookEventPage, encode_cursor, page_request

PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="items per page")]
EventId = Annotated[
    str, Parameter(min_length=1, max_length=255, pattern=LINE_PATTERN, description="the provider's event id")
]


async def operators_only(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """A guard, not a dependency: it runs for every route of the router, present and future,
    whether or not the handler asks who is calling."""
    authorize = connection.app.state.container.use_cases.authorize_operator()
    principal = await authorize(connection.headers.get(API_KEY_HEADER))
    # Audit rows of operations name the operator's tenant (its key has no id of its own here).
    bind_audit_actor(f"operator:{principal.tenant.id}", OPERATOR_SCOPE, principal.tenant.id)


class WebhookOpsController(Controller):
    path = "/webhooks"
    tags = ["ops"]

    @get("/", dependencies={"list_webhook_events": use_case("list_webhook_events")}, responses=problems("forbidden"))
    async def index(
        self,
        list_webhook_events: NamedDependency[ListWebhookEventsHandler],
        status: FromQuery[InboxStatus | None] = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> WebhookEventPage:
        """The webhook inbox, oldest first; e.g. ``?status=dead`` for the events waiting for a replay."""
        page = await list_webhook_events(status, page_request(limit, cursor))
        return WebhookEventPage([WebhookEventOut.of(item) for item in page.items], encode_cursor(page.next_after))

    @post(
        "/{event_id:str}/replay",
        status_code=200,
        dependencies={"replay_webhook_event": use_case("replay_webhook_event")},
        responses=problems("forbidden", "not_found", "conflict"),
    )
    async def replay(
        self, event_id: EventId, replay_webhook_event: NamedDependency[ReplayWebhookEventHandler]
    ) -> WebhookEventOut:
        """Handle the event again, now, whatever its status (409 while it is being handled)."""
        return WebhookEventOut.of(await replay_webhook_event(event_id))


ops_router = Router(
    path="/v1/ops",
    route_handlers=[WebhookOpsController, DiagnosticsController, JobsOpsController, ReconciliationOpsController],
    guards=[operators_only, known_query_parameters],
    security=[{"ApiKey": []}],
    middleware=[idempotency_middleware],  # replays are mutating /v1 calls too
    before_request=strict_body,  # JSON bodies as strict as the rest of /v1 (and JSON only: 415)
    opt={"scope": "operator"},  # decided by `operators_only`, not by the role matrix (interfaces/http/permissions.py)
)
