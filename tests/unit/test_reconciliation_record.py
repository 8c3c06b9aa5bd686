"""The drift /metrics reports comes from the newest finished run of each kind, however many
runs came after it (of the other kind, failed, or still running)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.reconciliation import Finding, Reconciliation, ReconciliationKind, ReconciliationScope
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _run(kind: ReconciliationKind, at: datetime) -> Reconciliation:
    return Reconciliation(uuid4(), kind, ReconciliationScope(), False, "ops", at)


async def test_the_latest_finished_run_of_each_kind_is_found_past_any_number_of_newer_ones(sqlite_url: str) -> None:
    container = build_container(Settings(database_url=sqlite_url))
    drifted = _run(ReconciliationKind.INVENTORY, T0)
    drifted.start(T0)
    drifted.succeed([Finding("pool:x", "held", 1, 3, difference=-2)], T0)
    newer = []
    for n in range(30):  # more than any page of recent runs
        at = T0 + timedelta(minutes=n + 1)
        run = _run(ReconciliationKind.PAYMENTS if n % 2 else ReconciliationKind.INVENTORY, at)
        run.start(at)
        if run.kind is ReconciliationKind.PAYMENTS:
            run.succeed([], at)
        elif n % 4 == 0:
            run.fail("the engine was unreachable", at)
        newer.append(run)
    try:
        async with container.gateways.uow() as uow:
            for run in [drifted, *newer]:
                await uow.reconciliations.add(run)
            await uow.commit()

        drift = await container.use_cases.get_reconciliation().latest_drift()
    finally:
        await close_container(container)

    assert drift == {ReconciliationKind.INVENTORY: 1, ReconciliationKind.PAYMENTS: 0}
