"""List a tenant's webhook endpoints, a page at a time."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import Page, PageRequest, UnitOfWorkFactory
from domain.outgoing_webhooks import WebhookEndpoint


class ListWebhookEndpointsHandler:
    """Oldest first, keyset-paginated."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, page: PageRequest) -> Page[WebhookEndpoint]:
        async with self._uow() as uow:
            return await uow.webhook_endpoints.list(tenant_id, page)
