"""Enable a webhook endpoint that was disabled for failing."""

from __future__ import annotations

from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import NotFoundError
from domain.outgoing_webhooks import WebhookEndpoint


class EnableWebhookEndpointHandler:
    """The endpoint takes deliveries again with a clean failure count; its deliveries that were
    still pending go out, in order, from their next attempt on. Enabling an enabled endpoint
    changes nothing."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, tenant_id: UUID, endpoint_id: UUID) -> WebhookEndpoint:
        async with self._uow() as uow:
            endpoint = await uow.webhook_endpoints.lock(endpoint_id)
            if endpoint is None or endpoint.tenant_id != tenant_id:
                raise NotFoundError("webhook endpoint", endpoint_id)
            before = {"status": endpoint.status}
            endpoint.enable(self._clock.now())
            await uow.webhook_endpoints.save(endpoint)
            after = {"status": endpoint.status}
            await uow.audit.record(
                "webhook_endpoint.enable", "webhook_endpoint", endpoint.id, before=before, after=after
            )
            await uow.commit()
        return endpoint
