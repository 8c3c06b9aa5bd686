"""Run a recorded reconciliation to the end: the ``reconcile`` job's work (and the CLI's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.reconciliation import Progress, Reconciler
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.reconcile_inventory import InventoryReconciler
from domain.errors import InvalidTransitionError
from domain.reconciliation import Finding, Reconciliation, ReconciliationKind

SAVE_PROGRESS_EVERY = timedelta(seconds=2)


async def _ignore(_checked: int, _total: int | None) -> None:
    return None


class RunReconciliationHandler:
    """Rules:

    * the run is started (``running``, progress and findings reset) and dispatched by kind: the
      inventory reconciler (which repairs when the run says so) or the payments one;
    * progress goes to ``progress`` at every step (the job's heartbeat) and is saved on the run
      at most every ``SAVE_PROGRESS_EVERY``, and at the end;
    * it ends ``succeeded`` with its findings, or ``failed`` with the error; when the caller may
      try again (``final=False``, a job attempt that is not the last) the error is kept on the
      still-running run and raised, and the next attempt starts over;
    * a run that finished already is returned as it is: the job is delivered at least once;
    * the drift left unrepaired is reported to the metrics per kind.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        inventory: InventoryReconciler,
        payments: Reconciler | None,
        metrics: Metrics,
    ) -> None:
        self._uow, self._clock, self._inventory, self._payments = uow, clock, inventory, payments
        self._metrics = metrics

    async def __call__(
        self, reconciliation_id: UUID, progress: Progress = _ignore, *, final: bool = True
    ) -> Reconciliation:
        async with self._uow() as uow:
            run = await uow.reconciliations.get(reconciliation_id)
            try:
                run.start(self._clock.now())
            except InvalidTransitionError:
                return run  # finished by an earlier delivery
            await uow.reconciliations.save(run)
            await uow.commit()
        try:
            findings = await self._dispatch(run, _Saver(self, self._clock, run, progress).step)
        except Exception as exc:
            await self._failed(run, f"{type(exc).__name__}: {exc}", final)
            if not final:
                raise
            return run
        run.succeed(findings, self._clock.now())
        await self.save(run)
        self._metrics.reconciliation_finished(run.kind.value, run.drift)
        return run

    async def _dispatch(self, run: Reconciliation, progress: Progress) -> list[Finding]:
        if run.kind is ReconciliationKind.INVENTORY:
            return await self._inventory(run.scope, progress, repair=run.repair)
        if self._payments is None:
            raise RuntimeError("payments reconciliation is not available in this build")
        return await self._payments(run.scope, progress)

    async def _failed(self, run: Reconciliation, error: str, final: bool) -> None:
        if final:
            run.fail(error, self._clock.now())
        else:
            run.error = error
        await self.save(run)

    async def save(self, run: Reconciliation) -> None:
        async with self._uow() as uow:
            await uow.reconciliations.save(run)
            await uow.commit()


class _Saver:
    """Passes progress on at once and saves it on the run now and then."""

    def __init__(
        self, handler: RunReconciliationHandler, clock: Clock, run: Reconciliation, progress: Progress
    ) -> None:
        self._handler, self._clock, self._run, self._progress = handler, clock, run, progress
        self._saved_at: datetime | None = None

    async def step(self, checked: int, total: int | None) -> None:
        self._run.progress(checked, total)
        await self._progress(checked, total)
        now = self._clock.now()
        if self._saved_at is None or now - self._saved_at >= SAVE_PROGRESS_EVERY or checked == total:
            self._saved_at = now
            await self._handler.save(self._run)
