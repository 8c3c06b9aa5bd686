"""Bodies of the public read API, the owner read API, listing owners and sales reports.

The public shapes are the whole of what anyone without a key sees (``domain.public_listings``
says why each field is or is not there); a test pins their exact field sets.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.bookings import Booking, BookingStatus, PaymentStatus
from domain.listings import Listing, ListingKind
from domain.ownership import ListingOwner
from domain.public_listings import PublicListing, PublicPool, PublicPoolAvailability
from domain.sales import SalesRow
from interfaces.http.schemas import LineOut, MoneyOut


class PublicPoolOut(msgspec.Struct):
    id: UUID
    code: str
    name: str
    night: date | None
    unit_price: MoneyOut

    @classmethod
    def of(cls, pool: PublicPool) -> PublicPoolOut:
        return cls(pool.id, pool.code, pool.name, pool.night, MoneyOut.of(pool.unit_price))


class PublicListingOut(msgspec.Struct, omit_defaults=True):
    id: UUID
    kind: ListingKind
    name: str
    starts_at: datetime | None
    pools: list[PublicPoolOut] | None = None  # on one listing's page, not in the index

    @classmethod
    def of(cls, listing: PublicListing, *, with_pools: bool = False) -> PublicListingOut:
        pools = [PublicPoolOut.of(pool) for pool in listing.pools] if with_pools else None
        return cls(listing.id, listing.kind, listing.name, listing.starts_at, pools)


class PublicListingPage(msgspec.Struct):
    items: list[PublicListingOut]
    next_cursor: str | None


class PublicAvailabilityOut(msgspec.Struct):
    pool_id: UUID
    code: str
    name: str
    night: date | None
    unit_price: MoneyOut
    available: int

    @classmethod
    def of(cls, found: PublicPoolAvailability) -> PublicAvailabilityOut:
        pool = found.pool
        return cls(pool.id, pool.code, pool.name, pool.night, MoneyOut.of(pool.unit_price), found.available)


class PublicAvailabilityPage(msgspec.Struct):
    listing_id: UUID
    pools: list[PublicAvailabilityOut]


class ListingOwnerOut(msgspec.Struct):
    listing_id: UUID
    subject: str
    created_at: datetime

    @classmethod
    def of(cls, owner: ListingOwner) -> ListingOwnerOut:
        return cls(owner.listing_id, str(owner.subject), owner.created_at)


class ListingOwnersOut(msgspec.Struct):
    items: list[ListingOwnerOut]


class OwnerListingOut(msgspec.Struct):
    """A listing as its owner sees it: what it is, not how the tenant runs it (no limits,
    hold lifetimes or waiting-room settings)."""

    id: UUID
    kind: ListingKind
    name: str
    starts_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, listing: Listing) -> OwnerListingOut:
        return cls(listing.id, listing.kind, listing.name, listing.starts_at, listing.created_at)


class OwnerListingPage(msgspec.Struct):
    items: list[OwnerListingOut]
    next_cursor: str | None


class OwnerBookingOut(msgspec.Struct):
    """A booking of an owned listing: what was sold and its money, not who bought it (no
    customer reference, contact or payment secrets)."""

    id: UUID
    listing_id: UUID
    status: BookingStatus
    payment_status: PaymentStatus
    lines: list[LineOut]
    total: MoneyOut
    created_at: datetime

    @classmethod
    def of(cls, booking: Booking) -> OwnerBookingOut:
        lines = [LineOut.of(line) for line in booking.lines]
        return cls(
            booking.id,
            booking.listing_id,
            booking.status,
            booking.payment_status,
            lines,
            MoneyOut.of(booking.total),
            booking.created_at,
        )


class OwnerBookingPage(msgspec.Struct):
    items: list[OwnerBookingOut]
    next_cursor: str | None


class SalesRowOut(msgspec.Struct, omit_defaults=True):
    """Minor units of ``currency``; ``net = gross - refunds - fees``."""

    listing_id: UUID
    currency: str
    units: int
    gross: int
    refunds: int
    fees: int
    net: int
    day: date | None = None  # per-day rows; revenue totals have none

    @classmethod
    def of(cls, row: SalesRow) -> SalesRowOut:
        return cls(row.listing_id, row.currency, row.units, row.gross, row.refunds, row.fees, row.net, row.day)


class RevenueOut(msgspec.Struct):
    items: list[SalesRowOut]


class SalesReportOut(msgspec.Struct):
    first_day: date
    last_day: date
    items: list[SalesRowOut]
