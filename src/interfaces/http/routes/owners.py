"""Listing ownership (admins and managers say who owns what) and the owner's read API.

``/v1/listings/{id}/owners``: a listing's owners, each a subject (``user:<id>`` or ``key:<id>``).
``/v1/owner/...``: what the caller owns (its listings, their bookings, their revenue); a caller
that owns nothing sees empty lists, and a listing it does not own is 404 like any other.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter

from application.use_cases.listing_owners import (
    AddListingOwnerHandler,
    ChangeListingOwner,
    ListListingOwnersHandler,
    RemoveListingOwnerHandler,
)
from application.use_cases.owner_reads import OwnerBookingsHandler, OwnerListingsHandler, OwnerRevenueHandler
from domain.identity import Actor
from domain.ownership import OwnerSubject
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request
from interfaces.http.permissions import requires
from interfaces.http.public_schemas import (
    ListingOwnerOut,
    ListingOwnersOut,
    OwnerBookingOut,
    OwnerBookingPage,
    OwnerListingOut,
    OwnerListingPage,
    RevenueOut,
    SalesRowOut,
)

Subject = Annotated[
    str,
    Parameter(
        pattern=r"^(user|key):[0-9a-fA-F-]{32,36}$",
        description="the owner: `user:<user id>` or `key:<API key id>`",
    ),
]


class ListingOwnerController(Controller):
    path = "/listings/{listing_id:uuid}/owners"
    tags = ["owners"]

    @get(
        "/",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"owners": use_case("list_listing_owners")},
        responses=problems("not_found"),
    )
    async def index(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        owners: NamedDependency[ListListingOwnersHandler],
    ) -> ListingOwnersOut:
        """The listing's owners, oldest first (who they are is the tenant's own business)."""
        return ListingOwnersOut([ListingOwnerOut.of(owner) for owner in await owners(tenant.id, listing_id)])

    @put(
        "/{subject:str}",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"add_owner": use_case("add_listing_owner")},
        responses=problems("not_found"),
    )
    async def add(
        self,
        listing_id: FromPath[UUID],
        subject: FromPath[Subject],
        tenant: NamedDependency[Tenant],
        add_owner: NamedDependency[AddListingOwnerHandler],
    ) -> ListingOwnerOut:
        """Make the user or API key (of this tenant) an owner of the listing; again: no change,
        the same answer. It matters to the ``owner`` role, which reads its own listings only."""
        owner = await add_owner(ChangeListingOwner(tenant.id, listing_id, OwnerSubject.parse(subject)))
        return ListingOwnerOut.of(owner)

    @delete(
        "/{subject:str}",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"remove_owner": use_case("remove_listing_owner")},
        responses=problems("not_found"),
    )
    async def remove(
        self,
        listing_id: FromPath[UUID],
        subject: FromPath[Subject],
        tenant: NamedDependency[Tenant],
        remove_owner: NamedDependency[RemoveListingOwnerHandler],
    ) -> None:
        """The subject owns the listing no more (204, also when it never did)."""
        await remove_owner(ChangeListingOwner(tenant.id, listing_id, OwnerSubject.parse(subject)))


def _owner(actor: Actor) -> OwnerSubject:
    return OwnerSubject.parse(actor.subject)


ListingFilter = FromQuery[UUID | None]


class OwnerController(Controller):
    """The caller's own listings, whatever its role; meant for ``owner`` keys and users."""

    path = "/owner"
    tags = ["owners"]

    @get(
        "/listings",
        opt=requires(Permission.REPORTS_READ),
        dependencies={"owned": use_case("owner_listings")},
        responses=problems(),
    )
    async def listings(
        self,
        actor: NamedDependency[Actor],
        owned: NamedDependency[OwnerListingsHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> OwnerListingPage:
        """The listings the caller owns, oldest first, a page at a time."""
        page = await owned(actor.tenant.id, _owner(actor), page_request(limit, cursor))
        return OwnerListingPage([OwnerListingOut.of(item) for item in page.items], encode_cursor(page.next_after))

    @get(
        "/listings/{listing_id:uuid}",
        opt=requires(Permission.REPORTS_READ),
        dependencies={"owned": use_case("owner_listings")},
        responses=problems("not_found"),
    )
    async def listing(
        self, listing_id: FromPath[UUID], actor: NamedDependency[Actor], owned: NamedDependency[OwnerListingsHandler]
    ) -> OwnerListingOut:
        """One listing the caller owns; any other is 404."""
        return OwnerListingOut.of(await owned.one(actor.tenant.id, _owner(actor), listing_id))

    @get(
        "/bookings",
        opt=requires(Permission.REPORTS_READ),
        dependencies={"bookings": use_case("owner_bookings")},
        responses=problems("not_found"),
    )
    async def bookings(
        self,
        actor: NamedDependency[Actor],
        bookings: NamedDependency[OwnerBookingsHandler],
        listing_id: ListingFilter = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> OwnerBookingPage:
        """The bookings of the caller's listings (or of the one ``listing_id``, 404 unless the
        caller owns it), oldest first, a page at a time; without who bought them."""
        page = await bookings(actor.tenant.id, _owner(actor), listing_id, page_request(limit, cursor))
        return OwnerBookingPage([OwnerBookingOut.of(item) for item in page.items], encode_cursor(page.next_after))

    @get(
        "/revenue",
        opt=requires(Permission.REPORTS_READ),
        dependencies={"revenue": use_case("owner_revenue")},
        responses=problems("not_found"),
    )
    async def revenue(
        self,
        actor: NamedDependency[Actor],
        revenue: NamedDependency[OwnerRevenueHandler],
        listing_id: ListingFilter = None,
    ) -> RevenueOut:
        """Per listing the caller owns and currency, from the ledger since the start: units,
        gross, refunds, fees and net (``net = gross - refunds - fees``), in minor units."""
        rows = await revenue(actor.tenant.id, _owner(actor), listing_id)
        return RevenueOut([SalesRowOut.of(row) for row in rows])
