"""Read reconciliation runs: one by id, or the most recent ones."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.reconciliation import Reconciliation, ReconciliationKind

MAX_RECENT = 100


class GetReconciliationHandler:
    """One run with its progress and findings; ``NotFoundError`` for an unknown id."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, reconciliation_id: UUID) -> Reconciliation:
        async with self._uow() as uow:
            return await uow.reconciliations.get(reconciliation_id)

    async def latest_drift(self) -> dict[ReconciliationKind, int]:
        """The drift the newest finished run of each kind left unrepaired, for the kinds that ran."""
        async with self._uow() as uow:
            latest = [await uow.reconciliations.latest_succeeded(kind) for kind in ReconciliationKind]
        return {run.kind: run.drift for run in latest if run is not None}

    async def recent(self, limit: int = 20) -> list[Reconciliation]:
        """The newest runs first, at most ``MAX_RECENT``."""
        async with self._uow() as uow:
            return await uow.reconciliations.recent(min(limit, MAX_RECENT))
