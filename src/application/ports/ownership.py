"""The store of listing ownership: which owners own which listings."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.listings import Listing
from domain.ownership import ListingOwner, OwnerSubject


class ListingOwnerRepository(Protocol):
    """Part of the unit of work: an ownership change commits with its audit row."""

    async def add(self, owner: ListingOwner) -> bool:
        """Record ``owner``; False, changing nothing, when it is recorded already."""
        ...

    async def remove(self, tenant_id: UUID, listing_id: UUID, subject: OwnerSubject) -> bool:
        """Forget the owner of the listing; False when it was none."""
        ...

    async def of_listing(self, tenant_id: UUID, listing_id: UUID) -> list[ListingOwner]:
        """The listing's owners, oldest first."""
        ...

    async def listing_ids(self, tenant_id: UUID, subject: OwnerSubject) -> frozenset[UUID]:
        """The ids of the listings ``subject`` owns in the tenant."""
        ...

    async def listings(
        self, tenant_id: UUID, subject: OwnerSubject, limit: int, after: tuple[datetime, UUID] | None
    ) -> list[Listing]:
        """At most ``limit`` of the listings ``subject`` owns, oldest first (by created_at, id),
        strictly after ``after``: the unit of work's keyset pages, without its ``Page``."""
        ...
