"""Every catalogue read goes to the system of record (the ``sql`` and ``memory`` engines).

Their hold path is in the database anyway, and a deployment without Redis has no channel to
tell other processes of a change: reading each time is what keeps several processes over one
Postgres exact.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.ports.catalogue import ListingCatalogue
from application.ports.repositories import UnitOfWorkFactory
from domain.tenants import KeyHolder, Tenant


class UncachedCatalogue:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def holder_for_key(self, key_hash: str, now: datetime) -> KeyHolder | None:
        async with self._uow() as uow:
            return await uow.tenants.holder_for_key(key_hash, now)

    async def listing(self, tenant_id: UUID, listing_id: UUID) -> ListingCatalogue:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            pools = await uow.pools.for_listing(listing.tenant_id, listing.id)
        return ListingCatalogue(listing, {pool.id: pool for pool in pools})

    async def tenant(self, tenant_id: UUID) -> Tenant:
        async with self._uow() as uow:
            return await uow.tenants.get(tenant_id)

    async def active_keys(self, now: datetime) -> dict[str, KeyHolder]:
        """Every key active at ``now`` with its end if it has one, for a cache that keeps them
        all (``RedisCatalogueCache``, ``SqlCatalogueCache``)."""
        async with self._uow() as uow:
            return await uow.tenants.active_keys(now)

    async def changed_keys(self) -> None:
        """Nothing is kept, so nothing is forgotten."""

    async def changed_listing(self, listing_id: UUID) -> None:
        """Nothing is kept, so nothing is forgotten."""
