"""List the webhook inbox for operators, e.g. the dead events waiting for a replay."""

from __future__ import annotations

from application.ports.repositories import UnitOfWorkFactory
from application.ports.webhooks import InboxPage, InboxPageRequest
from domain.webhooks import InboxStatus


class ListWebhookEventsHandler:
    """Oldest received first, keyset-paginated, optionally of one status."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, status: InboxStatus | None, page: InboxPageRequest) -> InboxPage:
        async with self._uow() as uow:
            return await uow.webhooks.list(status, page)
