"""Stripe's webhook deliveries. No API key: Stripe signs each body instead, so this router stays
outside /v1's tenant authentication and reads the raw body (the signature covers its bytes)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from loguru import logger

from application.audit import SYSTEM_ROLE, bind_audit_actor
from application.ports.webhooks import InboxEntry
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler
from application.use_cases.receive_webhook import ReceiveWebhook, ReceiveWebhookHandler
from infrastructure.payments.webhook_signing import SIGNATURE_HEADER
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.webhook_schemas import WebhookAck

# Every problem but 401: this route takes no API key.
_PROBLEMS = {status: spec for status, spec in problems("invalid_signature").items() if status != 401}


@post(
    "/stripe",
    status_code=200,
    dependencies={
        "receive_webhook": use_case("receive_webhook"),
        "process_webhook_event": use_case("process_webhook_event"),
    },
    responses=_PROBLEMS,
    tags=["webhooks"],
)
async def stripe_webhook(
    request: Request[Any, Any, Any],
    receive_webhook: NamedDependency[ReceiveWebhookHandler],
    process_webhook_event: NamedDependency[ProcessWebhookEventHandler],
) -> Response[WebhookAck]:
    """Stripe's events: verified, stored once by event id, acknowledged, then handled.

    A repeated delivery is acknowledged (``duplicate: true``) and changes nothing. Handling runs
    after the answer has gone out; if it fails, the inbox retries it, not Stripe.
    """
    receipt = await receive_webhook(ReceiveWebhook(await request.body(), request.headers.get(SIGNATURE_HEADER)))
    bind_audit_actor("provider:stripe", SYSTEM_ROLE, None)  # signed by Stripe: its writes are the provider's
    later = None if receipt.claimed is None else BackgroundTask(_handle, process_webhook_event, receipt.claimed)
    return Response(WebhookAck(received=True, duplicate=receipt.duplicate), background=later)


async def _handle(process: ProcessWebhookEventHandler, claimed: InboxEntry) -> None:
    """After the answer: nothing may escape (the provider already has its 200), so log instead."""
    try:
        outcome = await process(claimed)
    except Exception:
        logger.exception("webhook event {} was not handled; the retry sweep takes it over", claimed.event_id)
        return
    if outcome is None:
        logger.warning("webhook event {}: lease lost while handling; outcome not recorded", claimed.event_id)
    else:
        logger.info("webhook event {} ({}) {}", claimed.event_id, claimed.event.type, outcome.status.value)


# Public: no API key, so no role either (interfaces/http/permissions.py).
webhook_router = Router(path="/v1/webhooks", route_handlers=[stripe_webhook], opt={"public": True})
