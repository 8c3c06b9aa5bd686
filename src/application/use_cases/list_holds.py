"""List a tenant's holds, filtered, a page at a time."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.ports.hold_list import HoldFilter, HoldList
from application.ports.repositories import Page, PageRequest
from domain.inventory import Hold


class ListHoldsHandler:
    """Oldest first, keyset-paginated, filtered by listing, customer and status (as clients see
    it at ``now``). Only the tenant's holds; how fresh the list is depends on the engine (see
    ``application.ports.hold_list``: exact on memory and sql, the hold journal on redis)."""

    def __init__(self, holds: HoldList) -> None:
        self._holds = holds

    async def __call__(self, tenant_id: UUID, where: HoldFilter, page: PageRequest, now: datetime) -> Page[Hold]:
        return await self._holds.list_holds(tenant_id, where, page, now)
