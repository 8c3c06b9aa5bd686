"""List a tenant's listings, a page at a time."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import Page, PageRequest, UnitOfWorkFactory
from domain.listings import Listing


class ListListingsHandler:
    """Oldest first, keyset-paginated so that pages stay stable while listings are added."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, page: PageRequest) -> Page[Listing]:
        async with self._uow() as uow:
            return await uow.listings.list(tenant_id, page)
