"""Listings, their pools, and availability."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.use_cases.create_listing import CreateListing, CreateListingHandler
from application.use_cases.create_pool import CreatePool, CreatePoolHandler
from application.use_cases.get_availability import GetAvailabilityHandler
from application.use_cases.get_listing import GetListingHandler
from application.use_cases.get_pool import GetPoolHandler
from application.use_cases.list_listings import ListListingsHandler
from application.use_cases.resize_pool import ResizePool, ResizePoolHandler
from application.use_cases.set_listing_queue import SetListingQueue, SetListingQueueHandler
from domain.listings import CancellationPolicy
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request
from interfaces.http.permissions import requires
from interfaces.http.schemas import (
    AvailabilityOut,
    CountersOut,
    ListingIn,
    ListingOut,
    ListingPage,
    ListingPatchIn,
    PolicyIn,
    PoolIn,
    PoolOut,
    PoolPage,
    PoolResizeIn,
)


class ListingController(Controller):
    path = "/listings"
    tags = ["listings"]

    @post(
        "/",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"create_listing": use_case("create_listing")},
        response_headers=CREATED_HEADERS,
        responses=problems(),
    )
    async def create(
        self,
        data: JSONBody[ListingIn],
        tenant: NamedDependency[Tenant],
        create_listing: NamedDependency[CreateListingHandler],
    ) -> Response[ListingOut]:
        command = CreateListing(
            tenant_id=tenant.id,
            kind=data.kind,
            name=data.name,
            starts_at=data.starts_at,
            per_customer_limit=data.per_customer_limit,
            hold_ttl_seconds=data.hold_ttl_seconds,
            policy=CancellationPolicy(**msgspec.structs.asdict(data.cancellation_policy or PolicyIn())),
        )
        listing = await create_listing(command)
        return created(ListingOut.of(listing, pools=[]), "listings", listing.id)

    @get(
        "/",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"list_listings": use_case("list_listings")},
        responses=problems(),
    )
    async def index(
        self,
        tenant: NamedDependency[Tenant],
        list_listings: NamedDependency[ListListingsHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> ListingPage:
        page = await list_listings(tenant.id, page_request(limit, cursor))
        return ListingPage([ListingOut.of(item) for item in page.items], encode_cursor(page.next_after))

    @get(
        "/{listing_id:uuid}",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_listing": use_case("get_listing")},
        responses=problems("not_found"),
    )
    async def show(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_listing: NamedDependency[GetListingHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> ListingOut:
        """The listing with the first page of its pools (``limit``); ``pools_next_cursor`` goes on
        at ``GET /v1/listings/{id}/pools?cursor=...``."""
        found = await get_listing(tenant.id, listing_id, page_request(limit, cursor))
        return ListingOut.of(found.listing, found.pools, encode_cursor(found.pools_after))

    @patch(
        "/{listing_id:uuid}",
        dependencies={"set_listing_queue": use_case("set_listing_queue")},
        responses=problems("not_found"),
        opt={"permission": "catalogue:write"},
    )
    async def change(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[ListingPatchIn],
        tenant: NamedDependency[Tenant],
        set_listing_queue: NamedDependency[SetListingQueueHandler],
    ) -> ListingOut:
        """Change the listing's waiting room (``queue``): queue mode on or off, how many places a
        release admits (``batch_size``) and how often (``period_seconds``), how long a queue pass
        lasts (``pass_ttl_seconds``) and how many holds one admits (``holds_per_pass``). Fields
        left out keep their values. Every API process's hold path follows within the catalogue
        cache's bound (README, "The waiting room")."""
        listing = await set_listing_queue(SetListingQueue(tenant.id, listing_id, data.queue.changes()))
        return ListingOut.of(listing)

    @get(
        "/{listing_id:uuid}/availability",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_availability": use_case("get_availability")},
        responses=problems("not_found", "inventory_unavailable"),
    )
    async def availability(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_availability: NamedDependency[GetAvailabilityHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> AvailabilityOut:
        """A page of the listing's pools with their live counters; ``next_cursor`` goes on."""
        found = await get_availability(tenant.id, listing_id, page_request(limit, cursor))
        counted = [CountersOut.of(pool, c) for pool, c in found.pools]
        return AvailabilityOut(found.listing.id, counted, encode_cursor(found.pools_after))

    @post(
        "/{listing_id:uuid}/pools",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"create_pool": use_case("create_pool")},
        response_headers=CREATED_HEADERS,
        responses=problems("not_found", "already_exists", "too_many_pools", "inventory_unavailable"),
    )
    async def add_pool(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[PoolIn],
        tenant: NamedDependency[Tenant],
        create_pool: NamedDependency[CreatePoolHandler],
    ) -> Response[PoolOut]:
        command = CreatePool(
            tenant_id=tenant.id,
            listing_id=listing_id,
            code=data.code,
            name=data.name,
            capacity=data.capacity,
            unit_price=data.unit_price,
            currency=data.currency,
            night=data.night,
            overbooking=data.overbooking,
        )
        made = await create_pool(command)
        return created(PoolOut.of(made.pool, made.counters), "pools", made.pool.id)

    @get(
        "/{listing_id:uuid}/pools",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_listing": use_case("get_listing")},
        responses=problems("not_found"),
    )
    async def pools(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_listing: NamedDependency[GetListingHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> PoolPage:
        found = await get_listing(tenant.id, listing_id, page_request(limit, cursor))
        return PoolPage([PoolOut.of(pool) for pool in found.pools], encode_cursor(found.pools_after))


class PoolController(Controller):
    path = "/pools"
    tags = ["listings"]

    @get(
        "/{pool_id:uuid}",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_pool": use_case("get_pool")},
        responses=problems("not_found", "inventory_unavailable"),
    )
    async def show(
        self,
        pool_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_pool: NamedDependency[GetPoolHandler],
    ) -> PoolOut:
        found = await get_pool(tenant.id, pool_id)
        return PoolOut.of(found.pool, found.counters)

    @patch(
        "/{pool_id:uuid}",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"resize_pool": use_case("resize_pool")},
        responses=problems("not_found", "capacity_below_committed", "conflict", "inventory_unavailable"),
    )
    async def resize(
        self,
        pool_id: FromPath[UUID],
        data: JSONBody[PoolResizeIn],
        tenant: NamedDependency[Tenant],
        resize_pool: NamedDependency[ResizePoolHandler],
    ) -> PoolOut:
        resized = await resize_pool(ResizePool(tenant.id, pool_id, data.capacity))
        return PoolOut.of(resized.pool, resized.counters)
