"""The public read API: a tenant's listings, prices and availability, for anyone, no key."""

from __future__ import annotations

import hashlib
from uuid import UUID

from application.ports.catalogue import CatalogueCache, ListingCatalogue
from application.ports.inventory import InventoryEngine
from application.ports.public_cache import PublicCache
from application.ports.repositories import Page, PageRequest, UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from domain.errors import NotFoundError
from domain.listings import Pool
from domain.public_listings import (
    PublicListing,
    PublicPoolAvailability,
    public_availability,
    public_listing,
    publicly_visible,
)
from domain.tenants import Tenant


class PublicCatalogueHandler:
    """What the public sees (``domain.public_listings``) of the tenant named in the path by its
    name or its id; an unknown tenant, an unknown or hidden listing, or another tenant's listing
    is not found, all alike.

    Where each answer comes from, and how stale it may be:

    * a listing with its pools and prices: the hold path's catalogue cache (``CatalogueCache``),
      which every catalogue write invalidates (its own stated bound: at once in the writing
      process, ``HOLDFAST_CATALOGUE_CHECK_SECONDS`` on the sql engine, the pub/sub message on
      redis);
    * availability: the engine's counters, kept in the ``PublicCache`` under the listing's and
      its pools' versions (a price or capacity change is a new entry at once, as the catalogue
      cache sees it) for at most its ``max_age`` (holds move counters all the time: that is
      the bound on how old a public count is);
    * the listing index and tenant names: the ``PublicCache`` too (a new listing shows within
      ``max_age``; tenants are never renamed).
    """

    def __init__(
        self, uow: UnitOfWorkFactory, catalogue: CatalogueCache, engine: InventoryEngine, cache: PublicCache
    ) -> None:
        self._uow, self._catalogue, self._engine, self._cache = uow, catalogue, engine, cache

    async def listings(self, tenant_ref: str, page: PageRequest) -> Page[PublicListing]:
        """A page of the tenant's visible listings, oldest first (without pools). A hidden
        listing leaves its page shorter, never ends the walk: follow ``next_after``."""
        tenant = await self.tenant(tenant_ref)
        return await self._cache.get(
            f"listings:{tenant.id}:{page.limit}:{page.after}", lambda: self._index(tenant, page)
        )

    async def listing(self, tenant_ref: str, listing_id: UUID) -> PublicListing:
        """The visible listing with every pool and its unit price."""
        found = await self._visible(tenant_ref, listing_id)
        return public_listing(found.listing, _ordered(found))

    async def availability(self, tenant_ref: str, listing_id: UUID) -> list[PublicPoolAvailability]:
        """Every pool of the visible listing with its price and the units still available."""
        found = await self._visible(tenant_ref, listing_id)
        versions = ",".join(f"{pool.id}.{pool.version}" for pool in _ordered(found))
        digest = hashlib.sha256(versions.encode()).hexdigest()  # short, however many pools
        name = f"availability:{listing_id}:{found.listing.version}:{digest}"
        return await self._cache.get(name, lambda: self._available(found))

    async def tenant(self, ref: str) -> Tenant:
        """The tenant whose name is ``ref`` or, failing that, whose id it is."""
        return await self._cache.get(f"tenant:{ref}", lambda: self._tenant(ref))

    async def _tenant(self, ref: str) -> Tenant:
        async with self._uow() as uow:
            found = await uow.tenants.find_by_name(ref)
        if found is not None:
            return found
        try:
            return await self._catalogue.tenant(UUID(ref))
        except ValueError:
            raise NotFoundError("tenant", ref) from None

    async def _index(self, tenant: Tenant, page: PageRequest) -> Page[PublicListing]:
        async with self._uow() as uow:
            found = await uow.listings.list(tenant.id, page)
        shown = [public_listing(listing) for listing in found.items if publicly_visible(listing)]
        return Page(shown, found.next_after)

    async def _visible(self, tenant_ref: str, listing_id: UUID) -> ListingCatalogue:
        tenant = await self.tenant(tenant_ref)
        found = await self._catalogue.listing(tenant.id, listing_id)
        if not publicly_visible(found.listing):
            raise NotFoundError("listing", listing_id)
        return found

    async def _available(self, found: ListingCatalogue) -> list[PublicPoolAvailability]:
        pools = _ordered(found)
        counters = await counted(self._engine, pools)
        return [public_availability(pool, counters[pool.id]) for pool in pools]


def _ordered(found: ListingCatalogue) -> list[Pool]:
    """The listing's pools on sale (an archived pool is not shown), in the order the tenant's API
    lists them (created, then code)."""
    on_sale = (pool for pool in found.pools.values() if pool.archived_at is None)
    return sorted(on_sale, key=lambda pool: (pool.created_at, pool.code))
