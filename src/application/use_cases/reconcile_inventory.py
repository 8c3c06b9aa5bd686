"""Compare the inventory engine's counters with the system of record, and repair them on request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby
from uuid import UUID

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.reconciliation import InventoryRecord, Progress, RecordedPool
from application.use_cases.journal_holds import JournalHoldsHandler
from domain.inventory import Hold, HoldStatus, PoolCounters
from domain.reconciliation import Finding, FindingKind, ReconciliationScope

EXPIRE_BATCH = 500
COUNTERS = ("capacity", "held", "sold")


class InventoryReconciler:
    """Rules:

    * first the engine is brought up to date: its due holds are expired (always legitimate) and,
      with the Redis engine, its journal is drained into Postgres, so neither shows as drift;
    * per pool in scope, the system of record says: capacity (the pools table's capacity plus
      its overbooking allowance: what the engine counts against), sold (units its bookings
      bought, as recorded on the pool) and held (units of active holds whose time is not up: the
      hold journal for the Redis engine, the SQL engine's holds table for it);
    * each counter that differs is one drift finding on ``pool:<id>`` (expected minus actual as
      the difference); a pool the engine does not count at all is one finding, field ``pool``;
    * a pool whose recorded held + sold exceed its physical capacity (sold into its overbooking
      allowance) is one ``overbooked`` finding, field ``overbooked``: expected the capacity,
      actual held + sold. It is a report, not drift: both records agree, nothing is repaired,
      and the run's drift does not count it;
    * with ``repair``, each listing with a finding is restored from the record in one atomic
      engine call: its counters, its live holds (holds the record does not know, e.g. never
      journaled before Redis was lost, count as expired) and its customers' counts;
    * with ``repair`` and ``lost_only``, only listings whose counters the engine lost are
      rebuilt (``rebuild_lost``, checked in the same atomic call); the findings of the others
      are reported, unrepaired;
    * ``progress`` hears ``(checked, total)`` after every pool.

    Repair is meant for a quiet listing (or right after losing Redis): a hold placed between the
    comparison and the restore is counted as lost.
    """

    def __init__(
        self, engine: InventoryEngine, record: InventoryRecord, journal: JournalHoldsHandler, clock: Clock
    ) -> None:
        self._engine, self._record, self._journal, self._clock = engine, record, journal, clock

    async def __call__(
        self, scope: ReconciliationScope, progress: Progress, *, repair: bool = False, lost_only: bool = False
    ) -> list[Finding]:
        pools = await self._record.pools(scope)
        await progress(0, len(pools))
        await self._settle(sorted({pool.listing_id for pool in pools}))
        live: dict[UUID, list[Hold]] = defaultdict(list)
        for hold in await self._record.live_holds(scope, self._clock.now()):
            live[hold.listing_id].append(hold)
        findings: list[Finding] = []
        checked = 0
        for listing_id, grouped in groupby(pools, key=lambda pool: pool.listing_id):
            listed = list(grouped)
            holds = live[listing_id]
            expected = _expected(listed, holds)
            found = await self._compare(listing_id, expected)
            if found and repair and await self._restore(listing_id, expected, holds, lost_only):
                found = [replace(finding, repaired=True) for finding in found]
            findings += found + _overbooked(listed, expected)
            checked += len(listed)
            await progress(checked, len(pools))
        return findings

    async def _restore(self, listing_id: UUID, pools: list[PoolCounters], holds: list[Hold], lost_only: bool) -> bool:
        if lost_only:
            return await self._engine.rebuild_lost(listing_id, pools, holds, self._clock.now())
        await self._engine.restore(listing_id, pools, holds, self._clock.now())
        return True

    async def _settle(self, listing_ids: Sequence[UUID]) -> None:
        while len(await self._engine.expire_due(self._clock.now(), EXPIRE_BATCH)) == EXPIRE_BATCH:
            pass
        if listing_ids:
            await self._journal(listing_ids=listing_ids)

    async def _compare(self, listing_id: UUID, expected: list[PoolCounters]) -> list[Finding]:
        counted = {pool.pool_id: pool for pool in await self._engine.snapshot(listing_id)}
        findings: list[Finding] = []
        for pool in expected:
            findings += _differences(pool, counted.get(pool.pool_id))
        return findings


def _expected(pools: list[RecordedPool], holds: list[Hold]) -> list[PoolCounters]:
    held: dict[UUID, int] = defaultdict(int)
    for hold in holds:
        if hold.status is HoldStatus.ACTIVE:
            for line in hold.lines:
                held[line.pool_id] += line.quantity
    return [PoolCounters(p.pool_id, p.listing_id, p.sellable, held[p.pool_id], p.sold) for p in pools]


def _overbooked(pools: list[RecordedPool], expected: list[PoolCounters]) -> list[Finding]:
    committed = [(pool, counters.held + counters.sold) for pool, counters in zip(pools, expected, strict=True)]
    return [_overbooked_finding(pool, units) for pool, units in committed if units > pool.capacity]


def _overbooked_finding(pool: RecordedPool, committed: int) -> Finding:
    beyond = committed - pool.capacity
    detail = f"{beyond} units held or sold beyond the capacity of {pool.capacity} (allowance {pool.overbooking})"
    subject, kind = f"pool:{pool.pool_id}", FindingKind.OVERBOOKED
    return Finding(subject, "overbooked", pool.capacity, committed, detail, -beyond, kind=kind)


def _differences(expected: PoolCounters, actual: PoolCounters | None) -> list[Finding]:
    subject = f"pool:{expected.pool_id}"
    if actual is None:
        return [Finding(subject, "pool", "counted", "missing", "the engine does not count this pool")]
    findings = []
    for field in COUNTERS:
        want, got = getattr(expected, field), getattr(actual, field)
        if want != got:
            detail = f"the record says {field} {want}, the engine counts {got}"
            findings.append(Finding(subject, field, want, got, detail, difference=want - got))
    return findings
