"""The in-process inventory engine: for unit tests and for teams swapping adapters.

Every method runs without awaiting in the middle, so under asyncio each is atomic.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from application.ports.hold_list import HoldFilter
from application.ports.repositories import Page, PageRequest
from domain.errors import (
    CapacityBelowCommittedError,
    CustomerLimitExceededError,
    HoldExpiredError,
    HoldMismatchError,
    InsufficientInventoryError,
    NotFoundError,
)
from domain.inventory import (
    Hold,
    HoldLine,
    HoldStatus,
    PoolCounters,
    check_choice,
    check_restorable,
    same_choice_request,
    with_choice,
)
from infrastructure.persistence.repositories import _page_of


class MemoryInventoryEngine:
    def __init__(self) -> None:
        self._pools: dict[UUID, PoolCounters] = {}
        self._holds: dict[UUID, Hold] = {}
        self._customer_units: dict[tuple[UUID, str], int] = defaultdict(int)
        # Per listing, (expires_at, hold id) of holds placed active; ended ones are skipped lazily.
        self._expiry: dict[UUID, list[tuple[datetime, UUID]]] = defaultdict(list)

    async def add_pool(self, counters: PoolCounters) -> PoolCounters:
        return self._pools.setdefault(counters.pool_id, replace(counters, held=0, sold=0))

    async def place_hold(
        self, hold: Hold, customer_limit: int | None, *, fresh_id: bool = False, choice: Sequence[HoldLine] = ()
    ) -> Hold:
        check_choice(hold, choice)
        existing = self._holds.get(hold.id)
        if existing is not None:
            if not same_choice_request(existing, hold, choice):
                raise HoldMismatchError(f"hold {hold.id} exists with a different request")
            return existing
        self._expire_listing(hold.listing_id, hold.created_at)
        hold = self._check_pools(hold, choice)
        self._check_limit(hold, customer_limit)
        for line in hold.lines:
            self._shift(line.pool_id, held=line.quantity)
        self._customer_units[(hold.listing_id, hold.customer_ref)] += hold.quantity
        self._holds[hold.id] = hold
        heapq.heappush(self._expiry[hold.listing_id], (hold.expires_at, hold.id))
        return hold

    async def confirm(self, hold_id: UUID, now: datetime) -> Hold:
        hold = self._get(hold_id)
        if hold.status is HoldStatus.CONFIRMED:
            return hold
        if hold.is_due(now):
            raise HoldExpiredError(hold_id)
        confirmed = hold.moved_to(HoldStatus.CONFIRMED)
        for line in hold.lines:
            self._shift(line.pool_id, held=-line.quantity, sold=line.quantity)
        self._holds[hold_id] = confirmed
        return confirmed

    async def release(self, hold_id: UUID, now: datetime) -> Hold:
        hold = self._get(hold_id)
        if hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED):
            return hold
        target = HoldStatus.EXPIRED if hold.is_due(now) else HoldStatus.RELEASED
        return self._end(hold, target)

    async def cancel(self, hold_id: UUID) -> Hold:
        hold = self._get(hold_id)
        if hold.status is HoldStatus.CANCELLED:
            return hold
        cancelled = hold.moved_to(HoldStatus.CANCELLED)
        for line in hold.lines:
            self._shift(line.pool_id, sold=-line.quantity)
        self._customer_units[(hold.listing_id, hold.customer_ref)] -= hold.quantity
        self._holds[hold_id] = cancelled
        return cancelled

    async def expire_due(self, now: datetime, limit: int = 500) -> list[Hold]:
        due = [hold for listing_id in list(self._expiry) for hold in self._due(listing_id, now)]
        due.sort(key=lambda hold: (hold.expires_at, hold.id))
        for later in due[limit:]:  # over the limit: back on the heap for the next round
            heapq.heappush(self._expiry[later.listing_id], (later.expires_at, later.id))
        return [self._end(hold, HoldStatus.EXPIRED) for hold in due[:limit]]

    async def resize(self, pool_id: UUID, capacity: int) -> PoolCounters:
        pool = self._pools.get(pool_id)
        if pool is None:
            raise NotFoundError("pool", pool_id)
        if capacity < pool.held + pool.sold:
            raise CapacityBelowCommittedError(pool_id, capacity, pool.held + pool.sold)
        self._pools[pool_id] = replace(pool, capacity=capacity)
        return self._pools[pool_id]

    async def get_hold(self, hold_id: UUID) -> Hold | None:
        return self._holds.get(hold_id)

    async def list_holds(self, tenant_id: UUID, where: HoldFilter, page: PageRequest, now: datetime) -> Page[Hold]:
        """``HoldList``: this process's holds, exact."""
        found = sorted(
            (hold for hold in self._holds.values() if hold.tenant_id == tenant_id and _matches(hold, where, now)),
            key=lambda hold: (hold.created_at, hold.id),
        )
        after = [hold for hold in found if page.after is None or (hold.created_at, hold.id) > page.after]
        return _page_of(after[: page.limit + 1], page.limit)

    async def has_state(self) -> bool:
        return True  # it lives and dies with the process that uses it

    async def rebuild_lost(
        self, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> bool:
        return False  # nothing is ever lost while the process lives

    async def counters(self, pool_ids: Sequence[UUID]) -> list[PoolCounters]:
        return [self._pools[pool_id] for pool_id in pool_ids if pool_id in self._pools]

    async def snapshot(self, listing_id: UUID | None = None) -> list[PoolCounters]:
        pools = self._pools.values()
        return [pool for pool in pools if listing_id is None or pool.listing_id == listing_id]

    async def restore(
        self, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> None:
        check_restorable(listing_id, pools, holds)
        given = {hold.id for hold in holds}
        for hold in list(self._holds.values()):
            if hold.listing_id == listing_id and hold.status is HoldStatus.ACTIVE and hold.id not in given:
                self._holds[hold.id] = hold.moved_to(HoldStatus.EXPIRED)
        for key in [key for key in self._customer_units if key[0] == listing_id]:
            del self._customer_units[key]
        for hold in holds:
            previous = self._holds.get(hold.id)
            if hold.status is HoldStatus.ACTIVE and (previous is None or previous.status is not HoldStatus.ACTIVE):
                heapq.heappush(self._expiry[listing_id], (hold.expires_at, hold.id))
            self._holds[hold.id] = hold
            self._customer_units[(listing_id, hold.customer_ref)] += hold.quantity
        for pool in pools:
            self._pools[pool.pool_id] = pool

    def _get(self, hold_id: UUID) -> Hold:
        hold = self._holds.get(hold_id)
        if hold is None:
            raise NotFoundError("hold", hold_id)
        return hold

    def _check_pools(self, hold: Hold, choice: Sequence[HoldLine]) -> Hold:
        """``hold`` with its choice line picked, or the refusal (unknown pools, then short ones)."""
        for line in (*hold.lines, *choice):
            pool = self._pools.get(line.pool_id)
            if pool is None or pool.listing_id != hold.listing_id:
                raise NotFoundError("pool", line.pool_id)
        left = {line.pool_id: self._pools[line.pool_id].available for line in (*hold.lines, *choice)}
        short = {line.pool_id: left[line.pool_id] for line in hold.lines if left[line.pool_id] < line.quantity}
        picked = [line for line in choice if left[line.pool_id] >= line.quantity][:1]
        if choice and not picked:
            short.update({line.pool_id: left[line.pool_id] for line in choice})
        if short:
            raise InsufficientInventoryError(short)
        return with_choice(hold, picked[0]) if picked else hold

    def _check_limit(self, hold: Hold, limit: int | None) -> None:
        already = self._customer_units[(hold.listing_id, hold.customer_ref)]
        if limit is not None and already + hold.quantity > limit:
            raise CustomerLimitExceededError(limit, already, hold.quantity)

    def _expire_listing(self, listing_id: UUID, now: datetime) -> None:
        for hold in self._due(listing_id, now):
            self._end(hold, HoldStatus.EXPIRED)

    def _due(self, listing_id: UUID, now: datetime) -> list[Hold]:
        """The listing's active holds whose time is up, in expiry order (cheap: a heap)."""
        heap, due = self._expiry[listing_id], []
        while heap and heap[0][0] <= now:
            hold = self._holds[heapq.heappop(heap)[1]]
            if hold.status is HoldStatus.ACTIVE:
                due.append(hold)
        return due

    def _end(self, hold: Hold, status: HoldStatus) -> Hold:
        ended = hold.moved_to(status)
        for line in hold.lines:
            self._shift(line.pool_id, held=-line.quantity)
        self._customer_units[(hold.listing_id, hold.customer_ref)] -= hold.quantity
        self._holds[hold.id] = ended
        return ended

    def _shift(self, pool_id: UUID, held: int = 0, sold: int = 0) -> None:
        pool = self._pools[pool_id]
        self._pools[pool_id] = replace(pool, held=pool.held + held, sold=pool.sold + sold)


def _matches(hold: Hold, where: HoldFilter, now: datetime) -> bool:
    return (
        (where.listing_id is None or hold.listing_id == where.listing_id)
        and (where.customer_ref is None or hold.customer_ref == where.customer_ref)
        and (where.status is None or hold.status_at(now) is where.status)
    )
