"""What the public (no key, no account) may see of a tenant's catalogue, and nothing more.

The public sees a listing's kind, name and start, and per pool its code, name, night, unit price
and how many units are left. It never sees what is the tenant's own business: ids of keys or
users, per-customer limits, hold lifetimes, the cancellation policy's numbers, the waiting
room's settings, versions, capacities, or the held/sold split (capacity minus available would
tell a competitor how fast a show sells; ``available`` alone is what a buyer needs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.inventory import PoolCounters
from domain.listings import Listing, ListingKind, Pool
from domain.money import Money


def publicly_visible(listing: Listing) -> bool:
    """Whether the public may see ``listing`` at all: the one filter every public read goes
    through (a hidden listing is answered 404 exactly like a missing one): an archived listing
    is not."""
    return listing.archived_at is None


@dataclass(frozen=True, slots=True)
class PublicPool:
    id: UUID
    code: str
    name: str
    night: date | None
    unit_price: Money


@dataclass(frozen=True, slots=True)
class PublicListing:
    id: UUID
    kind: ListingKind
    name: str
    starts_at: datetime | None
    pools: tuple[PublicPool, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicPoolAvailability:
    pool: PublicPool
    available: int


def public_pool(pool: Pool) -> PublicPool:
    return PublicPool(pool.id, pool.code, pool.name, pool.night, pool.unit_price)


def public_listing(listing: Listing, pools: Iterable[Pool] = ()) -> PublicListing:
    """The public face of ``listing`` with ``pools`` in the order given."""
    return PublicListing(listing.id, listing.kind, listing.name, listing.starts_at, tuple(map(public_pool, pools)))


def public_availability(pool: Pool, counters: PoolCounters) -> PublicPoolAvailability:
    return PublicPoolAvailability(public_pool(pool), counters.available)
