"""The inventory model shared by every engine: pool counters and holds."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from domain.errors import CapacityBelowCommittedError, HoldExpiredError, HoldNotActiveError, InvalidValueError
from domain.money import Money

MAX_QUANTITY = 10_000
MAX_LINES = 50
MAX_CHOICES = 2500  # candidates of a hold's choice line: the seats of a cabin (200 rows of 12) fit


@dataclass(frozen=True, slots=True)
class PoolCounters:
    """One pool as an engine sees it. Invariant: ``held + sold <= capacity``. The capacity
    counted is what the pool may sell: its physical capacity plus any overbooking allowance
    (``Pool.sellable``)."""

    pool_id: UUID
    listing_id: UUID
    capacity: int
    held: int = 0
    sold: int = 0

    @property
    def available(self) -> int:
        return self.capacity - self.held - self.sold


class HoldStatus(enum.StrEnum):
    ACTIVE = "active"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # confirmed, then its booking was cancelled: units returned


# Which statuses a hold may move to. Engines written in other languages (Lua) follow the same table.
HOLD_TRANSITIONS: dict[HoldStatus, frozenset[HoldStatus]] = {
    HoldStatus.ACTIVE: frozenset({HoldStatus.CONFIRMED, HoldStatus.RELEASED, HoldStatus.EXPIRED}),
    HoldStatus.CONFIRMED: frozenset({HoldStatus.CANCELLED}),
    HoldStatus.RELEASED: frozenset(),
    HoldStatus.EXPIRED: frozenset(),
    HoldStatus.CANCELLED: frozenset(),
}

# Statuses whose units count against a pool (held or sold) and against a customer's limit.
COUNTED_STATUSES = frozenset({HoldStatus.ACTIVE, HoldStatus.CONFIRMED})


@dataclass(frozen=True, slots=True)
class HoldLine:
    pool_id: UUID
    quantity: int
    unit_price: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidValueError("quantity", f"must be between 1 and {MAX_QUANTITY}")
        if self.unit_price < 0:
            raise InvalidValueError("unit_price", "cannot be negative")


@dataclass(frozen=True, slots=True)
class Hold:
    """Units of one or more pools of one listing, reserved all or nothing until ``expires_at``.

    Prices are locked when the hold is placed: each line carries its unit price.
    """

    id: UUID
    tenant_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: tuple[HoldLine, ...]
    currency: str
    created_at: datetime
    expires_at: datetime
    status: HoldStatus = HoldStatus.ACTIVE

    def __post_init__(self) -> None:
        if not self.lines or len(self.lines) > MAX_LINES:
            raise InvalidValueError("lines", f"must have 1 to {MAX_LINES} lines")
        pools = [line.pool_id for line in self.lines]
        if len(set(pools)) != len(pools):
            raise InvalidValueError("lines", "each pool may appear once")
        if not self.customer_ref.strip() or len(self.customer_ref) > 200:
            raise InvalidValueError("customer_ref", "must be 1 to 200 characters")
        if self.expires_at <= self.created_at:
            raise InvalidValueError("expires_at", "must be after the hold is placed")

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_price(self) -> Money:
        return Money(sum(line.quantity * line.unit_price for line in self.lines), self.currency)

    def is_due(self, now: datetime) -> bool:
        """True when the hold is active but its time is up."""
        return self.status is HoldStatus.ACTIVE and now >= self.expires_at

    def status_at(self, now: datetime) -> HoldStatus:
        """The status clients see: a due hold is expired even before the sweep has ended it."""
        return HoldStatus.EXPIRED if self.is_due(now) else self.status

    def same_request(self, other: Hold) -> bool:
        """Whether ``other`` asks for what this hold reserved (a safe retry)."""
        mine = sorted((line.pool_id, line.quantity) for line in self.lines)
        theirs = sorted((line.pool_id, line.quantity) for line in other.lines)
        return (self.tenant_id, self.listing_id, self.customer_ref, mine) == (
            other.tenant_id,
            other.listing_id,
            other.customer_ref,
            theirs,
        )

    def moved_to(self, status: HoldStatus) -> Hold:
        """This hold in ``status``; raises if the transition table forbids it."""
        if status not in HOLD_TRANSITIONS[self.status]:
            if status is HoldStatus.CONFIRMED and self.status is HoldStatus.EXPIRED:
                raise HoldExpiredError(self.id)
            raise HoldNotActiveError(self.id, self.status.value)
        return replace(self, status=status)


def check_restorable(listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold]) -> None:
    """What an engine may be told to restore for one listing (see ``InventoryEngine.restore``):
    its own pools, each within capacity, and its own live (active or confirmed) holds."""
    for pool in pools:
        if pool.listing_id != listing_id:
            raise InvalidValueError("pools", f"pool {pool.pool_id} is not of listing {listing_id}")
        if pool.held < 0 or pool.sold < 0:
            raise InvalidValueError("pools", f"pool {pool.pool_id} has negative counters")
        if pool.held + pool.sold > pool.capacity:
            raise CapacityBelowCommittedError(pool.pool_id, pool.capacity, pool.held + pool.sold)
    for hold in holds:
        if hold.listing_id != listing_id or hold.status not in COUNTED_STATUSES:
            raise InvalidValueError("holds", f"hold {hold.id} is not a live hold of listing {listing_id}")


def check_choice(hold: Hold, choice: Sequence[HoldLine]) -> None:
    """A choice line of ``hold`` (``InventoryEngine.place_hold``): candidates of distinct pools,
    none of them one of the hold's own lines, and room for one more line on the hold."""
    pools = [line.pool_id for line in choice]
    if len(pools) > MAX_CHOICES or len(set(pools)) != len(pools):
        raise InvalidValueError("choice", f"must have at most {MAX_CHOICES} lines, each pool once")
    if set(pools) & {line.pool_id for line in hold.lines} or (choice and len(hold.lines) >= MAX_LINES):
        raise InvalidValueError("choice", "must name pools the hold's lines do not, with room for one more line")


def with_choice(hold: Hold, picked: HoldLine) -> Hold:
    """``hold`` with the choice line the engine picked as its last line."""
    return replace(hold, lines=(*hold.lines, picked))


def same_choice_request(existing: Hold, hold: Hold, choice: Sequence[HoldLine]) -> bool:
    """Whether ``existing`` is what placing ``hold`` with ``choice`` could have made: a safe retry
    (its lines are the hold's plus one candidate of the choice)."""
    if not choice:
        return existing.same_request(hold)
    mine = {line.pool_id for line in hold.lines}
    extra = [line for line in existing.lines if line.pool_id not in mine]
    if len(extra) != 1:
        return False
    picked = [line for line in choice if (line.pool_id, line.quantity) == (extra[0].pool_id, extra[0].quantity)]
    return bool(picked) and existing.same_request(with_choice(hold, picked[0]))
