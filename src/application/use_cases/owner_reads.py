"""The owner's read API: its own listings, their bookings and their revenue, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import BookingFilter, Page, PageRequest, UnitOfWork, UnitOfWorkFactory
from domain.bookings import Booking
from domain.errors import NotFoundError
from domain.listings import Listing
from domain.ownership import OwnerSubject
from domain.sales import SalesRow, sales_by_day, totals_by_listing

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def owned(uow: UnitOfWork, tenant_id: UUID, owner: OwnerSubject, listing_id: UUID | None) -> frozenset[UUID]:
    """The ids of the owner's listings, or just ``listing_id`` when the owner owns it: a listing
    it does not own is not found, exactly like another tenant's."""
    ids = await uow.listing_owners.listing_ids(tenant_id, owner)
    if listing_id is None:
        return ids
    if listing_id not in ids:
        raise NotFoundError("listing", listing_id)
    return frozenset({listing_id})


class OwnerListingsHandler:
    """A page of the listings the owner owns, oldest first; none owned: an empty page."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, owner: OwnerSubject, page: PageRequest) -> Page[Listing]:
        async with self._uow() as uow:
            found = await uow.listing_owners.listings(tenant_id, owner, page.limit + 1, page.after)
        if len(found) <= page.limit:
            return Page(found)
        return Page(found[: page.limit], (found[page.limit - 1].created_at, found[page.limit - 1].id))

    async def one(self, tenant_id: UUID, owner: OwnerSubject, listing_id: UUID) -> Listing:
        """One listing the owner owns; any other is not found."""
        async with self._uow() as uow:
            await owned(uow, tenant_id, owner, listing_id)
            return await uow.listings.get(tenant_id, listing_id)


class OwnerBookingsHandler:
    """The bookings of the owner's listings (or of one of them), oldest first, a page at a time."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, tenant_id: UUID, owner: OwnerSubject, listing_id: UUID | None, page: PageRequest
    ) -> Page[Booking]:
        async with self._uow() as uow:
            ids = await owned(uow, tenant_id, owner, listing_id)
            if not ids:
                return Page([])
            return await uow.bookings.list(tenant_id, BookingFilter(listing_ids=ids), page)


class OwnerRevenueHandler:
    """Per listing the owner owns (and currency), everything the ledger shows since the start:
    gross, refunds, fees and net (``domain.sales``). A listing with no money yet has no row."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, tenant_id: UUID, owner: OwnerSubject, listing_id: UUID | None) -> list[SalesRow]:
        end = self._clock.now() + timedelta(seconds=1)  # everything posted up to now
        async with self._uow() as uow:
            ids = await owned(uow, tenant_id, owner, listing_id)
            if not ids:
                return []
            movements = await uow.sales.movements(tenant_id, EPOCH, end, ids)
            sold = await uow.sales.units_sold(tenant_id, EPOCH, end, ids)
        return totals_by_listing(sales_by_day(movements, sold))
