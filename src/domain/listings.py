"""Listings (what a customer books from) and their pools (counted buckets of units)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.errors import ConflictError, InvalidValueError
from domain.listing_details import ListingDetails, check_details_kind
from domain.money import Money
from domain.waiting_room import QueueSettings

MAX_CAPACITY = 1_000_000
# Overbooking (units sellable beyond a pool's physical capacity) is at most this share of the
# capacity, rounded down: a typo cannot sell ten times a zone, and a capacity-1 seat is never
# overbooked (an airline overbooks a cabin, not a named seat).
MAX_OVERBOOKING_PERCENT = 50
MAX_HOLD_TTL_SECONDS = 24 * 3600
DEFAULT_HOLD_TTL_SECONDS = 600


class TooManyPoolsError(ConflictError):
    """The listing has as many pools as a listing may have (``HOLDFAST_MAX_POOLS_PER_LISTING``)."""

    code = "too_many_pools"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a listing has at most {limit} pools")
        self.limit = limit


class ListingArchivedError(ConflictError):
    """The listing is archived: it takes no new holds (its bookings stay as they are)."""

    code = "listing_archived"

    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"listing {listing_id} is archived: it takes no new holds")
        self.listing_id = listing_id


class PoolArchivedError(ConflictError):
    """The pool is archived: it takes no new holds (its held and sold units stay as they are)."""

    code = "pool_archived"

    def __init__(self, pool_id: UUID) -> None:
        super().__init__(f"pool {pool_id} is archived: it takes no new holds")
        self.pool_id = pool_id


class ListingKind(enum.StrEnum):
    EVENT_SHOW = "event_show"
    FLIGHT = "flight"
    STAY_PROPERTY = "stay_property"


def check_capacity(capacity: int) -> None:
    if isinstance(capacity, bool) or not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidValueError("capacity", f"must be between 0 and {MAX_CAPACITY}")


def _overbooking_limit(capacity: int) -> int:
    return capacity * MAX_OVERBOOKING_PERCENT // 100


def check_overbooking(capacity: int, overbooking: int) -> None:
    """An overbooking allowance is 0 (off) up to ``MAX_OVERBOOKING_PERCENT`` of the capacity."""
    limit = _overbooking_limit(capacity)
    if isinstance(overbooking, bool) or not 0 <= overbooking <= limit:
        share = f"{MAX_OVERBOOKING_PERCENT}% of capacity"
        raise InvalidValueError("overbooking", f"must be between 0 and {limit} ({share})")


def _check_text(name: str, value: str, limit: int) -> None:
    if not value.strip() or len(value) > limit:
        raise InvalidValueError(name, f"must be 1 to {limit} characters")


@dataclass(frozen=True, slots=True)
class CancellationPolicy:
    """Full refund until ``full_refund_hours`` before the start, ``late_refund_percent`` after
    that, nothing once the listing has started. A listing without a start always refunds in full.
    """

    full_refund_hours: int = 48
    late_refund_percent: int = 50

    def __post_init__(self) -> None:
        if not 0 <= self.full_refund_hours <= 24 * 365:
            raise InvalidValueError("full_refund_hours", "must be between 0 and 8760")
        if not 0 <= self.late_refund_percent <= 100:
            raise InvalidValueError("late_refund_percent", "must be between 0 and 100")

    def refund_for(self, refundable: int, starts_at: datetime | None, now: datetime) -> int:
        """How much of ``refundable`` a cancellation at ``now`` gives back (rounded down)."""
        if starts_at is None or now < starts_at - timedelta(hours=self.full_refund_hours):
            return refundable
        if now < starts_at:
            return refundable * self.late_refund_percent // 100
        return 0


@dataclass(slots=True)
class Listing:
    """A show, a flight or a property. Owns the rules its holds follow."""

    id: UUID
    tenant_id: UUID
    kind: ListingKind
    name: str
    created_at: datetime
    starts_at: datetime | None = None
    per_customer_limit: int | None = None
    hold_ttl_seconds: int = DEFAULT_HOLD_TTL_SECONDS
    policy: CancellationPolicy = field(default_factory=CancellationPolicy)
    version: int = 1
    queue: QueueSettings = field(default_factory=QueueSettings)  # the waiting room (off by default)
    details: ListingDetails | None = None  # its type follows ``kind`` (domain.listing_details)
    archived_at: datetime | None = None  # archived: no new holds, left out of lists by default

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        _check_text("name", self.name, 200)
        if self.per_customer_limit is not None and not 1 <= self.per_customer_limit <= MAX_CAPACITY:
            raise InvalidValueError("per_customer_limit", f"must be between 1 and {MAX_CAPACITY}")
        if not 1 <= self.hold_ttl_seconds <= MAX_HOLD_TTL_SECONDS:
            raise InvalidValueError("hold_ttl_seconds", f"must be between 1 and {MAX_HOLD_TTL_SECONDS}")
        check_details_kind(self.kind.value, self.details)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def set_queue(self, queue: QueueSettings) -> None:
        self.queue = queue
        self.version += 1

    def change(self, **changes: object) -> None:
        """Change any of ``CHANGEABLE_LISTING_FIELDS`` at once: checked whole (a bad value
        changes nothing), and the version moves."""
        unknown = sorted(set(changes) - CHANGEABLE_LISTING_FIELDS)
        if unknown:
            raise InvalidValueError(unknown[0], "cannot be changed")
        before = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            self._check()
        except InvalidValueError:
            for name, value in before.items():
                setattr(self, name, value)
            raise
        self.version += 1

    def archive(self, now: datetime) -> bool:
        """Archive the listing; False (and no change) when it is archived already."""
        if self.archived_at is not None:
            return False
        self.archived_at = now
        self.version += 1
        return True

    def unarchive(self) -> bool:
        """Take the listing out of the archive; False (and no change) when it is not in it."""
        if self.archived_at is None:
            return False
        self.archived_at = None
        self.version += 1
        return True

    def require_open(self) -> None:
        """``ListingArchivedError`` when the listing takes no new holds."""
        if self.archived_at is not None:
            raise ListingArchivedError(self.id)


CHANGEABLE_LISTING_FIELDS = frozenset(
    {"name", "starts_at", "per_customer_limit", "hold_ttl_seconds", "policy", "details", "queue"}
)


@dataclass(slots=True)
class Pool:
    """A counted bucket of one listing: a zone, a seat, a room type on one night.

    The pool here is the catalogue entry; its live counters (held, sold) belong to the
    inventory engine and are read as :class:`domain.inventory.PoolCounters`.

    ``capacity`` is the physical one (seats in the cabin); ``overbooking`` the units sellable
    beyond it, airline style (0, the default: off). The engine counts against the ``sellable``
    capacity, their sum, and never sells beyond it; what is held or sold beyond the physical
    capacity is ``overbooked``, reported apart.
    """

    id: UUID
    tenant_id: UUID
    listing_id: UUID
    code: str
    capacity: int
    unit_price: Money
    created_at: datetime
    name: str = ""
    version: int = 1
    events: list[object] = field(default_factory=list, repr=False, compare=False)
    night: date | None = None  # set on a stay's night pools: the night (the date checked in) it sells
    overbooking: int = 0  # units sellable beyond ``capacity`` (0: overbooking off)
    room_type_id: UUID | None = None  # set on a stay's night pools: the room type (domain.stays) it sells
    archived_at: datetime | None = None  # archived: no new holds; held and sold units stay

    def __post_init__(self) -> None:
        _check_text("code", self.code, 64)
        check_capacity(self.capacity)
        check_overbooking(self.capacity, self.overbooking)
        if self.unit_price.amount < 0:
            raise InvalidValueError("unit_price", "cannot be negative")

    @property
    def sellable(self) -> int:
        """What the engine may sell: the physical capacity plus the overbooking allowance."""
        return self.capacity + self.overbooking

    def overbooked(self, committed: int) -> int:
        """Of ``committed`` units (held + sold), how many are beyond the physical capacity."""
        return max(0, committed - self.capacity)

    def resize(self, capacity: int) -> None:
        """A new physical capacity; the overbooking allowance stays as it is, so the capacity
        cannot shrink below what keeps the allowance within its limit (lower it first)."""
        self._check_new_capacity(capacity)
        self.capacity = capacity
        self.version += 1

    def _check_new_capacity(self, capacity: int) -> None:
        """A capacity the pool may take: in range, and keeping its overbooking allowance within
        its limit (lower the allowance first)."""
        check_capacity(capacity)
        if _overbooking_limit(capacity) < self.overbooking:
            least = -(-self.overbooking * 100 // MAX_OVERBOOKING_PERCENT)
            message = f"must be at least {least} while overbooking is {self.overbooking}; lower overbooking first"
            raise InvalidValueError("capacity", message)

    def set_overbooking(self, overbooking: int) -> None:
        check_overbooking(self.capacity, overbooking)
        self.overbooking = overbooking
        self.version += 1

    def change(
        self,
        now: datetime,
        *,
        name: str | None = None,
        unit_price: int | None = None,
        capacity: int | None = None,
        archived: bool | None = None,
    ) -> bool:
        """Change what is given (None: kept), checked whole first, the version moving once;
        False when nothing differs. A new unit price is for holds placed from now on: holds
        placed before keep the price they locked. ``archived``: no new holds while set."""
        if name is not None and len(name) > 200:
            raise InvalidValueError("name", "must be at most 200 characters")
        if unit_price is not None and (isinstance(unit_price, bool) or unit_price < 0):
            raise InvalidValueError("unit_price", "cannot be negative")
        if capacity is not None:
            self._check_new_capacity(capacity)
        new = (
            self.name if name is None else name,
            self.unit_price if unit_price is None else Money(unit_price, self.unit_price.currency),
            self.capacity if capacity is None else capacity,
            self.archived_at if archived is None else (self.archived_at or now) if archived else None,
        )
        if new == (self.name, self.unit_price, self.capacity, self.archived_at):
            return False
        self.name, self.unit_price, self.capacity, self.archived_at = new
        self.version += 1
        return True

    def require_open(self) -> None:
        """``PoolArchivedError`` when the pool takes no new holds."""
        if self.archived_at is not None:
            raise PoolArchivedError(self.id)
