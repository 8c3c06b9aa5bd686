"""An endpoint's deliveries and every attempt at each, for the tenant to see what was sent."""

from __future__ import annotations

from uuid import UUID

from application.ports.outgoing_webhooks import DeliveryHistory
from application.ports.repositories import Page, PageRequest, UnitOfWorkFactory
from domain.outgoing_webhooks import DeliveryStatus


class ListWebhookDeliveriesHandler:
    """Oldest first, keyset-paginated, optionally by status; another tenant's endpoint is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, tenant_id: UUID, endpoint_id: UUID, status: DeliveryStatus | None, page: PageRequest
    ) -> Page[DeliveryHistory]:
        async with self._uow() as uow:
            await uow.webhook_endpoints.get(tenant_id, endpoint_id)
            return await uow.webhook_deliveries.history(endpoint_id, status, page)
