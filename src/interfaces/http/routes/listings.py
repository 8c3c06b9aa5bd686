"""Listings, their pools, and availability."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.ports.listing_search import ListingFilter, ListingSearch, ListingSort
from application.use_cases.archive_listing import ArchiveListing, ArchiveListingHandler
from application.use_cases.change_listing import ChangeListing, ChangeListingHandler
from application.use_cases.change_pool import ChangePool, ChangePoolHandler
from application.use_cases.create_listing import CreateListing, CreateListingHandler
from application.use_cases.create_pool import CreatePool, CreatePoolHandler
from application.use_cases.get_availability import GetAvailabilityHandler
from application.use_cases.get_listing import GetListingHandler
from application.use_cases.get_pool import GetPoolHandler
from application.use_cases.list_listings import ListListingsHandler
from domain.listings import CancellationPolicy, ListingKind
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.listing_query import (
    ListingCursor,
    SearchText,
    StartsFrom,
    StartsTo,
    decode_listing_cursor,
    encode_listing_cursor,
)
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
    PoolPatchIn,
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
            details=None if data.details is None else data.details.fields(),
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
        cursor: ListingCursor = None,
        kind: FromQuery[ListingKind | None] = None,
        q: SearchText = None,
        starts_from: StartsFrom = None,
        starts_to: StartsTo = None,
        available: FromQuery[bool] = False,
        archived: FromQuery[bool] = False,
        sort: FromQuery[ListingSort] = ListingSort.CREATED_AT,
    ) -> ListingPage:
        """The tenant's listings, filtered (every filter given must hold): ``kind``; ``q``, text
        in the name, venue, route or flight number, or address (case-insensitive); ``from`` <=
        start < ``to``; ``available=true``, only listings with a pool (not archived) whose
        capacity exceeds its sold units (held units count as left: they come back when their
        hold expires); ``archived=true``, only archived listings (left out otherwise).
        ``sort``: ``created_at`` (default), ``starts_at`` (listings without a start last) or
        ``name`` (case-insensitive), ascending, ties by id. A page's ``next_cursor`` goes on
        with the same filters and sort."""
        where = ListingFilter(kind, q, starts_from, starts_to, available, archived)
        search = ListingSearch(where, sort, limit, decode_listing_cursor(sort, cursor))
        page = await list_listings(tenant.id, search)
        return ListingPage([ListingOut.of(item) for item in page.items], encode_listing_cursor(sort, page.next_after))

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
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"change_listing": use_case("change_listing")},
        responses=problems("not_found", "conflict"),
    )
    async def change(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[ListingPatchIn],
        tenant: NamedDependency[Tenant],
        change_listing: NamedDependency[ChangeListingHandler],
    ) -> ListingOut:
        """Change the listing: ``name``, ``starts_at``, ``per_customer_limit``,
        ``hold_ttl_seconds``, ``cancellation_policy``, ``details`` (replaced whole; the fields
        of its kind) and its waiting room (``queue``: queue mode on or off, how many places a
        release admits (``batch_size``) and how often (``period_seconds``), how long a queue
        pass lasts (``pass_ttl_seconds``) and how many holds one admits (``holds_per_pass``)).
        Fields left out keep their values; all changes are checked and made together. Holds
        placed before keep what they locked; every API process's hold path follows within the
        catalogue cache's bound (README, "The catalogue: kinds, changes and search")."""
        queue = None if data.queue is None else data.queue.changes()
        command = ChangeListing(tenant.id, listing_id, data.changes(), queue)
        return ListingOut.of(await change_listing(command))

    @post(
        "/{listing_id:uuid}/archive",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"archive_listing": use_case("archive_listing")},
        responses=problems("not_found", "conflict"),
        status_code=200,
    )
    async def archive(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        archive_listing: NamedDependency[ArchiveListingHandler],
    ) -> ListingOut:
        """Archive the listing: no new holds (409 ``listing_archived``), left out of
        ``GET /v1/listings`` unless ``archived=true``; its holds and bookings stay as they are.
        Archiving an archived listing changes nothing."""
        return ListingOut.of(await archive_listing(ArchiveListing(tenant.id, listing_id)))

    @post(
        "/{listing_id:uuid}/unarchive",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"archive_listing": use_case("archive_listing")},
        responses=problems("not_found", "conflict"),
        status_code=200,
    )
    async def unarchive(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        archive_listing: NamedDependency[ArchiveListingHandler],
    ) -> ListingOut:
        """Take the listing out of the archive: it takes holds again."""
        return ListingOut.of(await archive_listing(ArchiveListing(tenant.id, listing_id, archived=False)))

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
        dependencies={"change_pool": use_case("change_pool")},
        responses=problems("not_found", "capacity_below_committed", "conflict", "inventory_unavailable"),
    )
    async def change(
        self,
        pool_id: FromPath[UUID],
        data: JSONBody[PoolPatchIn],
        tenant: NamedDependency[Tenant],
        change_pool: NamedDependency[ChangePoolHandler],
    ) -> PoolOut:
        """Change the pool's ``capacity`` (never below its held + sold units), ``name`` or
        ``unit_price`` (in its currency). A new price applies to holds placed after it; holds
        placed before, and their bookings, keep the price they locked."""
        data.check()
        command = ChangePool(tenant.id, pool_id, data.name, data.unit_price, data.capacity)
        changed = await change_pool(command)
        return PoolOut.of(changed.pool, changed.counters)

    @post(
        "/{pool_id:uuid}/archive",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"change_pool": use_case("change_pool")},
        responses=problems("not_found", "conflict", "inventory_unavailable"),
        status_code=200,
    )
    async def archive(
        self,
        pool_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        change_pool: NamedDependency[ChangePoolHandler],
    ) -> PoolOut:
        """Archive the pool: no new holds on it (409 ``pool_archived``); its held and sold units,
        and the holds and bookings that have them, stay as they are."""
        changed = await change_pool(ChangePool(tenant.id, pool_id, archived=True))
        return PoolOut.of(changed.pool, changed.counters)

    @post(
        "/{pool_id:uuid}/unarchive",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"change_pool": use_case("change_pool")},
        responses=problems("not_found", "conflict", "inventory_unavailable"),
        status_code=200,
    )
    async def unarchive(
        self,
        pool_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        change_pool: NamedDependency[ChangePoolHandler],
    ) -> PoolOut:
        """Take the pool out of the archive: it takes holds again."""
        changed = await change_pool(ChangePool(tenant.id, pool_id, archived=False))
        return PoolOut.of(changed.pool, changed.counters)
