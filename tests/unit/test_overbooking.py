"""Overbooking rules in the domain, and overbooked findings kept apart from drift wherever a
reconciliation run is counted, stored or printed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import update

from domain.errors import InvalidValueError
from domain.listings import Pool
from domain.money import Money
from domain.reconciliation import Finding, FindingKind, Reconciliation, ReconciliationKind, ReconciliationScope
from infrastructure.container import build_container, close_container
from infrastructure.persistence.journal_tables import reconciliations
from infrastructure.settings import Settings
from interfaces.cli_reconcile import report

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _pool(capacity: int, overbooking: int = 0) -> Pool:
    return Pool(uuid4(), uuid4(), uuid4(), "economy", capacity, Money(0, "EUR"), T0, overbooking=overbooking)


def test_the_allowance_is_off_by_default_and_at_most_half_the_capacity() -> None:
    assert (_pool(10).overbooking, _pool(10).sellable) == (0, 10)
    assert _pool(10, 5).sellable == 15
    assert _pool(11, 5).overbooked(13) == 2
    assert _pool(11, 5).overbooked(7) == 0
    for capacity, overbooking in ((10, 6), (1, 1), (10, -1)):
        with pytest.raises(InvalidValueError) as refused:
            _pool(capacity, overbooking)
        assert refused.value.field == "overbooking"


def test_a_resize_keeps_the_allowance_and_cannot_leave_it_beyond_its_limit() -> None:
    pool = _pool(10, 4)
    pool.resize(20)
    assert (pool.capacity, pool.overbooking, pool.sellable, pool.version) == (20, 4, 24, 2)
    with pytest.raises(InvalidValueError, match="must be at least 8 while overbooking is 4") as refused:
        pool.resize(7)
    assert refused.value.field == "capacity"
    assert (pool.capacity, pool.version) == (20, 2)
    pool.set_overbooking(0)
    pool.resize(0)
    assert (pool.capacity, pool.sellable, pool.version) == (0, 0, 4)


def _finished(findings: list[Finding]) -> Reconciliation:
    run = Reconciliation(uuid4(), ReconciliationKind.INVENTORY, ReconciliationScope(), False, "ops", T0)
    run.start(T0)
    run.succeed(findings, T0)
    return run


OVERBOOKED = Finding("pool:x", "overbooked", 4, 5, "1 unit beyond", -1, kind=FindingKind.OVERBOOKED)


def test_overbooked_findings_are_not_drift_and_print_as_what_they_are() -> None:
    run = _finished([Finding("pool:x", "held", 1, 3, difference=-2), OVERBOOKED])
    assert (run.drift, run.overbooked) == (1, 1)
    printed = report(run).splitlines()
    assert "drift 1, overbooked 1" in printed[0]
    assert printed[1:] == [
        "  [drift] pool:x held: expected 1, actual 3 (difference -2)",
        "  [overbooked] pool:x overbooked: expected 4, actual 5 (difference -1)",
    ]


async def test_stored_findings_keep_their_kind_and_older_ones_read_as_drift(sqlite_url: str) -> None:
    container = build_container(Settings(database_url=sqlite_url))
    run = _finished([Finding("pool:y", "sold", 2, 1, difference=1), OVERBOOKED])
    try:
        async with container.gateways.uow() as uow:
            await uow.reconciliations.add(run)
            await uow.commit()
        async with container.gateways.uow() as uow:
            kept = await uow.reconciliations.get(run.id)
        # A run stored before findings had a kind: every finding then was drift.
        older = [{k: v for k, v in asdict(f).items() if k != "kind"} for f in run.findings[:1]]
        async with container.gateways.database().transaction() as session:
            await session.execute(update(reconciliations).values(findings=older))
        async with container.gateways.uow() as uow:
            old = await uow.reconciliations.get(run.id)
    finally:
        await close_container(container)
    assert [f.kind for f in kept.findings] == [FindingKind.DRIFT, FindingKind.OVERBOOKED]
    assert (kept.drift, kept.overbooked) == (1, 1)
    assert [f.kind for f in old.findings] == [FindingKind.DRIFT]
