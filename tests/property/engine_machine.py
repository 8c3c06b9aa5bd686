"""The conformance state machine every inventory engine must pass.

Hypothesis drives place (sometimes with a choice line: any one of some pools, the engine
picking) / retry / confirm / release / cancel / expire / resize / tick against an engine and
against :class:`ReferenceModel`, and after every step checks that both agree and that
``held + sold <= capacity`` holds for every pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, TypeVar
from uuid import UUID

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from application.ports.inventory import InventoryEngine
from domain.errors import (
    CapacityBelowCommittedError,
    CustomerLimitExceededError,
    DomainError,
    InsufficientInventoryError,
)
from domain.inventory import COUNTED_STATUSES, Hold, HoldLine, HoldStatus, PoolCounters
from tests.engines import EngineHandle
from tests.property.reference_model import ModelPool, ReferenceModel

T = TypeVar("T")
EngineFactory = Callable[[], Awaitable[EngineHandle]]

BASE_TIME = datetime(2030, 1, 1, tzinfo=UTC)
TENANT = UUID("00000000-0000-4000-8000-000000000001")
CUSTOMERS = ("ann", "bob", "cy")

listing_specs = st.lists(
    st.tuples(
        st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=3),
        st.none() | st.integers(min_value=1, max_value=5),
    ),
    min_size=1,
    max_size=2,
)


def _units(holds: list[Hold], pool_id: UUID) -> tuple[int, int]:
    """Held and sold units of one pool among ``holds``."""
    held = sold = 0
    for hold in holds:
        quantity = sum(line.quantity for line in hold.lines if line.pool_id == pool_id)
        if hold.status is HoldStatus.ACTIVE:
            held += quantity
        else:
            sold += quantity
    return held, sold


def hold_key(hold: Hold) -> tuple[Any, ...]:
    lines = sorted((line.pool_id, line.quantity, line.unit_price) for line in hold.lines)
    return (
        hold.id,
        hold.tenant_id,
        hold.listing_id,
        hold.customer_ref,
        tuple(lines),
        hold.currency,
        hold.created_at,
        hold.expires_at,
        hold.status,
    )


class EngineMachine(RuleBasedStateMachine):
    factory: EngineFactory

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.handle = self.run(type(self).factory())
        self.engine: InventoryEngine = self.handle.engine
        self.model = ReferenceModel()
        self.now = BASE_TIME
        self.limits: dict[UUID, int | None] = {}
        self.pools_of: dict[UUID, list[UUID]] = {}
        self.hold_ids: list[UUID] = []
        self._ids = count(1)

    def new_id(self) -> UUID:
        """Ids follow a counter: Hypothesis replays an example only if its draws repeat."""
        return UUID(int=next(self._ids))

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)  # type: ignore[arg-type]

    def call(self, coro: Awaitable[T]) -> T | DomainError:
        try:
            return self.run(coro)
        except DomainError as exc:
            return exc

    def teardown(self) -> None:
        try:
            self.run(self.handle.aclose())
        finally:
            self.loop.close()

    @initialize(spec=listing_specs)
    def create_pools(self, spec: list[tuple[list[int], int | None]]) -> None:
        for capacities, limit in spec:
            listing_id = self.new_id()
            self.limits[listing_id] = limit
            self.pools_of[listing_id] = []
            for capacity in capacities:
                counters = PoolCounters(self.new_id(), listing_id, capacity)
                added = self.run(self.engine.add_pool(counters))
                assert (added.capacity, added.held, added.sold) == (capacity, 0, 0)
                self.model.pools[counters.pool_id] = ModelPool(counters.pool_id, listing_id, capacity)
                self.pools_of[listing_id].append(counters.pool_id)

    @rule(data=st.data())
    def place_hold(self, data: st.DataObject) -> None:
        listing_id = data.draw(st.sampled_from(list(self.pools_of)), label="listing")
        choices = self.pools_of[listing_id]
        if data.draw(st.booleans(), label="foreign pool") and len(self.pools_of) > 1:
            choices = [pool for pools in self.pools_of.values() for pool in pools]
        pools = data.draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))
        lines = tuple(
            HoldLine(pool, data.draw(st.integers(min_value=1, max_value=3)), unit_price=1500) for pool in pools
        )
        reuse = self.hold_ids and data.draw(st.booleans(), label="reuse id")
        hold_id = data.draw(st.sampled_from(self.hold_ids)) if reuse else self.new_id()
        ttl = data.draw(st.integers(min_value=1, max_value=30), label="ttl")
        hold = Hold(
            id=hold_id,
            tenant_id=TENANT,
            listing_id=listing_id,
            customer_ref=data.draw(st.sampled_from(CUSTOMERS), label="customer"),
            lines=lines,
            currency="EUR",
            created_at=self.now,
            expires_at=self.now + timedelta(seconds=ttl),
        )
        choice = self.choice(data, [pool for pool in choices if pool not in pools])
        limit = self.limits[listing_id]
        expected = self.model.place(hold, limit, choice)
        self.agree(expected, self.call(self.engine.place_hold(hold, limit, choice=choice)))
        if choice:
            event(f"choice: {type(expected).__name__}")  # how often each outcome is drawn
        if hold_id not in self.hold_ids:
            self.hold_ids.append(hold_id)

    @staticmethod
    def choice(data: st.DataObject, candidates: list[UUID]) -> tuple[HoldLine, ...]:
        """Sometimes a choice line ("any one of these pools", in this order): a seat of a cabin."""
        if not candidates or not data.draw(st.booleans(), label="choice"):
            return ()
        pools = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True), label="among")
        quantity = data.draw(st.integers(min_value=1, max_value=2), label="choice quantity")
        return tuple(HoldLine(pool, quantity, unit_price=100 * n) for n, pool in enumerate(pools, 1))

    @precondition(lambda self: self.hold_ids)
    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(self.hold_ids))
        self.agree(self.model.confirm(hold_id, self.now), self.call(self.engine.confirm(hold_id, self.now)))

    @precondition(lambda self: self.hold_ids)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(self.hold_ids))
        self.agree(self.model.release(hold_id, self.now), self.call(self.engine.release(hold_id, self.now)))

    @precondition(lambda self: self.hold_ids)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(self.hold_ids))
        self.agree(self.model.cancel(hold_id), self.call(self.engine.cancel(hold_id)))

    @rule()
    def unknown_hold(self) -> None:
        ghost = self.new_id()
        assert self.run(self.engine.get_hold(ghost)) is None
        self.agree(self.model.confirm(ghost, self.now), self.call(self.engine.confirm(ghost, self.now)))

    @rule()
    def expire_due(self) -> None:
        expected = {hold.id for hold in self.model.expire_due(self.now)}
        actual = self.run(self.engine.expire_due(self.now))
        assert {hold.id for hold in actual} == expected

    @rule(limit=st.integers(min_value=1, max_value=3))
    def expire_some_due(self, limit: int) -> None:
        """With a limit, which due holds go first is the engine's choice; how many is not."""
        due = self.model.due_ids(self.now)
        expired = {hold.id for hold in self.run(self.engine.expire_due(self.now, limit))}
        assert expired <= due
        assert len(expired) == min(limit, len(due))
        self.model.expire_these(expired)

    @rule(data=st.data(), capacity=st.integers(min_value=0, max_value=8))
    def resize(self, data: st.DataObject, capacity: int) -> None:
        pool_id = data.draw(st.sampled_from(list(self.model.pools)))
        expected = self.model.resize(pool_id, capacity)
        actual = self.call(self.engine.resize(pool_id, capacity))
        if isinstance(expected, DomainError):
            assert type(actual) is type(expected), actual
        else:
            assert isinstance(actual, PoolCounters)
            assert actual.capacity == capacity

    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        """Reconciliation's repair: the confirmed holds and some of the active ones survive, the
        rest are lost (and count as expired), and the counters are set from the survivors."""
        listing_id = data.draw(st.sampled_from(list(self.pools_of)), label="listing")
        live = [h for h in self.model.holds.values() if h.listing_id == listing_id and h.status in COUNTED_STATUSES]
        kept = [h for h in live if h.status is HoldStatus.CONFIRMED or data.draw(st.booleans(), label="keep")]
        pools = [
            PoolCounters(pool_id, listing_id, self.model.pools[pool_id].capacity, *_units(kept, pool_id))
            for pool_id in self.pools_of[listing_id]
        ]
        self.model.restore(listing_id, kept)
        self.run(self.engine.restore(listing_id, pools, kept, self.now))

    @rule(seconds=st.integers(min_value=0, max_value=40))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @invariant()
    def counters_match_the_model(self) -> None:
        snapshot = {pool.pool_id: pool for pool in self.run(self.engine.snapshot())}
        assert set(snapshot) == set(self.model.pools)
        for pool_id, pool in snapshot.items():
            assert pool.held >= 0
            assert pool.sold >= 0
            assert pool.held + pool.sold <= pool.capacity, pool
            model = self.model
            expected = (model.pools[pool_id].capacity, model.held(pool_id), model.sold(pool_id))
            assert (pool.capacity, pool.held, pool.sold) == expected, (pool, expected)

    @invariant()
    def holds_match_the_model(self) -> None:
        for hold_id, expected in self.model.holds.items():
            actual = self.run(self.engine.get_hold(hold_id))
            assert actual is not None
            assert hold_key(actual) == hold_key(expected)

    @invariant()
    def customer_limits_hold(self) -> None:
        """Counted from the engine's own holds: no customer ever exceeds a listing's limit."""
        units: dict[tuple[UUID, str], int] = {}
        for hold_id in self.model.holds:
            hold = self.run(self.engine.get_hold(hold_id))
            assert hold is not None
            if hold.status in COUNTED_STATUSES:
                key = (hold.listing_id, hold.customer_ref)
                units[key] = units.get(key, 0) + hold.quantity
        for (listing_id, _customer), held in units.items():
            limit = self.limits[listing_id]
            assert limit is None or held <= limit

    def agree(self, expected: object, actual: object) -> None:
        if isinstance(expected, DomainError):
            assert type(actual) is type(expected), f"expected {expected!r}, engine gave {actual!r}"
            if isinstance(expected, InsufficientInventoryError):
                assert isinstance(actual, InsufficientInventoryError)
                assert actual.short == expected.short
            if isinstance(expected, CustomerLimitExceededError):
                assert isinstance(actual, CustomerLimitExceededError)
                assert (actual.limit, actual.already, actual.asked) == (
                    expected.limit,
                    expected.already,
                    expected.asked,
                )
            if isinstance(expected, CapacityBelowCommittedError):
                assert isinstance(actual, CapacityBelowCommittedError)
        else:
            assert isinstance(expected, Hold)
            assert isinstance(actual, Hold), f"expected {expected!r}, engine raised {actual!r}"
            assert hold_key(actual) == hold_key(expected)
