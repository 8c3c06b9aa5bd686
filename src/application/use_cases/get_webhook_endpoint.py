"""Read one of a tenant's webhook endpoints."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.outgoing_webhooks import WebhookEndpoint


class GetWebhookEndpointHandler:
    """Another tenant's endpoint is not found, exactly like one that does not exist."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, endpoint_id: UUID) -> WebhookEndpoint:
        async with self._uow() as uow:
            return await uow.webhook_endpoints.get(tenant_id, endpoint_id)
