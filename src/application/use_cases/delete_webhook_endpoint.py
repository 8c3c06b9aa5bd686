"""Remove a tenant's webhook endpoint."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.outgoing_webhooks import WebhookEndpoint


class DeleteWebhookEndpointHandler:
    """The endpoint goes with its deliveries and their attempts: nothing more is sent to it (a
    delivery being sent at this moment finishes, and its outcome is dropped). Returns the
    endpoint as it was; another tenant's is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, endpoint_id: UUID) -> WebhookEndpoint:
        async with self._uow() as uow:
            endpoint = await uow.webhook_endpoints.get(tenant_id, endpoint_id)
            await uow.webhook_endpoints.delete(tenant_id, endpoint_id)
            before = {"url": endpoint.url, "event_types": sorted(endpoint.event_types)}
            await uow.audit.record("webhook_endpoint.delete", "webhook_endpoint", endpoint.id, before=before)
            await uow.commit()
        return endpoint
