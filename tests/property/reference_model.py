"""A plain reference model of the inventory engine port, written for obviousness, not speed.

It keeps no counters: held and sold are recomputed from the list of holds every time, so a
counter bug in an engine cannot hide behind the same bug here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from domain.errors import (
    CapacityBelowCommittedError,
    CustomerLimitExceededError,
    DomainError,
    HoldExpiredError,
    HoldMismatchError,
    HoldNotActiveError,
    InsufficientInventoryError,
    NotFoundError,
)
from domain.inventory import Hold, HoldLine, HoldStatus, same_choice_request, with_choice


@dataclass
class ModelPool:
    pool_id: UUID
    listing_id: UUID
    capacity: int


@dataclass
class ReferenceModel:
    pools: dict[UUID, ModelPool] = field(default_factory=dict)
    holds: dict[UUID, Hold] = field(default_factory=dict)

    def held(self, pool_id: UUID) -> int:
        return self._units(pool_id, HoldStatus.ACTIVE)

    def sold(self, pool_id: UUID) -> int:
        return self._units(pool_id, HoldStatus.CONFIRMED)

    def available(self, pool_id: UUID) -> int:
        return self.pools[pool_id].capacity - self.held(pool_id) - self.sold(pool_id)

    def customer_units(self, listing_id: UUID, customer: str) -> int:
        return sum(
            hold.quantity
            for hold in self.holds.values()
            if hold.listing_id == listing_id
            and hold.customer_ref == customer
            and hold.status in (HoldStatus.ACTIVE, HoldStatus.CONFIRMED)
        )

    def place(self, hold: Hold, limit: int | None, choice: Sequence[HoldLine] = ()) -> Hold | DomainError:
        if hold.id in self.holds:
            existing = self.holds[hold.id]
            return existing if same_choice_request(existing, hold, choice) else HoldMismatchError("reused id")
        for other in list(self.holds.values()):
            if other.listing_id == hold.listing_id and self._due(other, hold.created_at):
                self._set(other, HoldStatus.EXPIRED)
        for line in (*hold.lines, *choice):
            pool = self.pools.get(line.pool_id)
            if pool is None or pool.listing_id != hold.listing_id:
                return NotFoundError("pool", line.pool_id)
        short = {
            line.pool_id: self.available(line.pool_id)
            for line in hold.lines
            if self.available(line.pool_id) < line.quantity
        }
        picked = [line for line in choice if self.available(line.pool_id) >= line.quantity][:1]
        if choice and not picked:
            short.update({line.pool_id: self.available(line.pool_id) for line in choice})
        if short:
            return InsufficientInventoryError(short)
        placed = with_choice(hold, picked[0]) if picked else hold
        already = self.customer_units(hold.listing_id, hold.customer_ref)
        if limit is not None and already + placed.quantity > limit:
            return CustomerLimitExceededError(limit, already, placed.quantity)
        self.holds[hold.id] = placed
        return placed

    def confirm(self, hold_id: UUID, now: datetime) -> Hold | DomainError:
        hold = self.holds.get(hold_id)
        if hold is None:
            return NotFoundError("hold", hold_id)
        if hold.status is HoldStatus.CONFIRMED:
            return hold
        if hold.status is HoldStatus.EXPIRED or self._due(hold, now):
            return HoldExpiredError(hold_id)
        if hold.status is not HoldStatus.ACTIVE:
            return HoldNotActiveError(hold_id, hold.status.value)
        return self._set(hold, HoldStatus.CONFIRMED)

    def release(self, hold_id: UUID, now: datetime) -> Hold | DomainError:
        hold = self.holds.get(hold_id)
        if hold is None:
            return NotFoundError("hold", hold_id)
        if hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED):
            return hold
        if hold.status is not HoldStatus.ACTIVE:
            return HoldNotActiveError(hold_id, hold.status.value)
        return self._set(hold, HoldStatus.EXPIRED if self._due(hold, now) else HoldStatus.RELEASED)

    def cancel(self, hold_id: UUID) -> Hold | DomainError:
        hold = self.holds.get(hold_id)
        if hold is None:
            return NotFoundError("hold", hold_id)
        if hold.status is HoldStatus.CANCELLED:
            return hold
        if hold.status is not HoldStatus.CONFIRMED:
            return HoldNotActiveError(hold_id, hold.status.value)
        return self._set(hold, HoldStatus.CANCELLED)

    def expire_due(self, now: datetime) -> list[Hold]:
        due = [hold for hold in self.holds.values() if self._due(hold, now)]
        return [self._set(hold, HoldStatus.EXPIRED) for hold in due]

    def due_ids(self, now: datetime) -> set[UUID]:
        return {hold.id for hold in self.holds.values() if self._due(hold, now)}

    def expire_these(self, hold_ids: set[UUID]) -> None:
        for hold_id in hold_ids:
            self._set(self.holds[hold_id], HoldStatus.EXPIRED)

    def resize(self, pool_id: UUID, capacity: int) -> ModelPool | DomainError:
        pool = self.pools.get(pool_id)
        if pool is None:
            return NotFoundError("pool", pool_id)
        committed = self.held(pool_id) + self.sold(pool_id)
        if capacity < committed:
            return CapacityBelowCommittedError(pool_id, capacity, committed)
        pool.capacity = capacity
        return pool

    def restore(self, listing_id: UUID, holds: list[Hold]) -> None:
        """The listing's live holds become ``holds``; its other active holds expire."""
        kept = {hold.id for hold in holds}
        for hold in list(self.holds.values()):
            if hold.listing_id == listing_id and hold.status is HoldStatus.ACTIVE and hold.id not in kept:
                self._set(hold, HoldStatus.EXPIRED)
        self.holds.update((hold.id, hold) for hold in holds)

    def _due(self, hold: Hold, now: datetime) -> bool:
        return hold.status is HoldStatus.ACTIVE and now >= hold.expires_at

    def _set(self, hold: Hold, status: HoldStatus) -> Hold:
        self.holds[hold.id] = replace(hold, status=status)
        return self.holds[hold.id]

    def _units(self, pool_id: UUID, status: HoldStatus) -> int:
        return sum(
            line.quantity
            for hold in self.holds.values()
            if hold.status is status
            for line in hold.lines
            if line.pool_id == pool_id
        )
