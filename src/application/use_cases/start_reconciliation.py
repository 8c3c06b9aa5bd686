"""An operator asks for a reconciliation: record it, and queue the job that runs it."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.jobs import JobQueue
from application.ports.repositories import UnitOfWorkFactory
from domain.reconciliation import Reconciliation, ReconciliationKind, ReconciliationScope

RECONCILE_JOB = "reconcile"


@dataclass(frozen=True, slots=True)
class StartReconciliation:
    kind: ReconciliationKind
    scope: ReconciliationScope
    repair: bool
    requested_by: str


class StartReconciliationHandler:
    """Rules:

    * the run is recorded ``queued`` first, then job ``reconcile`` is queued with its id (keyed
      by it, so queueing it twice runs it once); the job finds the run committed;
    * payments runs never repair (``InvalidValueError``): moving money is a person's decision;
    * ``record`` only records it, for callers that run it themselves (the CLI, in the foreground).
    """

    def __init__(self, uow: UnitOfWorkFactory, jobs: JobQueue, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._jobs, self._clock, self._ids = uow, jobs, clock, ids

    async def __call__(self, command: StartReconciliation) -> Reconciliation:
        run = await self.record(command)
        await self._jobs.enqueue(RECONCILE_JOB, {"reconciliation_id": str(run.id)}, key=f"{RECONCILE_JOB}:{run.id}")
        return run

    async def record(self, command: StartReconciliation) -> Reconciliation:
        run = Reconciliation(
            self._ids.new_id(), command.kind, command.scope, command.repair, command.requested_by, self._clock.now()
        )
        async with self._uow() as uow:
            await uow.reconciliations.add(run)
            after = {"kind": run.kind, "repair": run.repair}
            await uow.audit.record("reconciliation.start", "reconciliation", run.id, after=after)
            await uow.commit()
        return run
