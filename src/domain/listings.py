"""Listings (what a customer books from) and their pools (counted buckets of units)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.errors import ConflictError, InvalidValueError
from domain.money import Money
from domain.waiting_room import QueueSettings

MAX_CAPACITY = 1_000_000
MAX_HOLD_TTL_SECONDS = 24 * 3600
DEFAULT_HOLD_TTL_SECONDS = 600


class TooManyPoolsError(ConflictError):
    """The listing has as many pools as a listing may have (``HOLDFAST_MAX_POOLS_PER_LISTING``)."""

    code = "too_many_pools"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a listing has at most {limit} pools")
        self.limit = limit


class ListingKind(enum.StrEnum):
    EVENT_SHOW = "event_show"
    FLIGHT = "flight"
    STAY_PROPERTY = "stay_property"


def check_capacity(capacity: int) -> None:
    if isinstance(capacity, bool) or not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidValueError("capacity", f"must be between 0 and {MAX_CAPACITY}")


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

    def __post_init__(self) -> None:
        _check_text("name", self.name, 200)
        if self.per_customer_limit is not None and not 1 <= self.per_customer_limit <= MAX_CAPACITY:
            raise InvalidValueError("per_customer_limit", f"must be between 1 and {MAX_CAPACITY}")
        if not 1 <= self.hold_ttl_seconds <= MAX_HOLD_TTL_SECONDS:
            raise InvalidValueError("hold_ttl_seconds", f"must be between 1 and {MAX_HOLD_TTL_SECONDS}")

    def set_queue(self, queue: QueueSettings) -> None:
        self.queue = queue
        self.version += 1


@dataclass(slots=True)
class Pool:
    """A counted bucket of one listing: a zone, a seat, a room type on one night.

    The pool here is the catalogue entry; its live counters (held, sold) belong to the
    inventory engine and are read as :class:`domain.inventory.PoolCounters`.
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
    room_type_id: UUID | None = None  # set on a stay's night pools: the room type (domain.stays) it sells

    def __post_init__(self) -> None:
        _check_text("code", self.code, 64)
        check_capacity(self.capacity)
        if self.unit_price.amount < 0:
            raise InvalidValueError("unit_price", "cannot be negative")

    def resize(self, capacity: int) -> None:
        check_capacity(capacity)
        self.capacity = capacity
        self.version += 1
