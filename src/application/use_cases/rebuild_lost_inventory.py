"""Rebuild an inventory engine that lost all of its state, from the system of record, unattended."""

from __future__ import annotations

from application.use_cases.inventory_state import CheckInventoryStateHandler
from application.use_cases.reconcile_inventory import InventoryReconciler
from domain.reconciliation import Finding, ReconciliationScope


async def _quietly(checked: int, total: int | None) -> None:
    return None


class RebuildLostInventoryHandler:
    """Run when an API process starts. Rules, and why it needs no operator:

    * it acts only when the engine's state is missing (``CheckInventoryStateHandler``: no state
      at all while the catalogue has pools, i.e. an emptied Redis); drift in an engine that has
      state (an older snapshot, a bug, one lost listing) is never repaired unattended;
    * it is ``holdfast reconcile inventory --repair`` over everything, but a listing is rebuilt
      only while its counters are still missing, checked in the same atomic engine call
      (``rebuild_lost``). A listing without counters refuses every change (holds, confirms,
      releases, cancels, resizes, new pools), so no hold can have been placed on it since the
      loss and the record cannot move under the rebuild; a listing another process rebuilt
      first, which may hold new holds already, is left as it is. Processes starting together
      are therefore safe;
    * it loses nothing the loss had not already destroyed, exactly like the manual repair:
      holds never journaled count as expired.

    Returns the findings (empty when the engine had its state).
    """

    def __init__(self, state_missing: CheckInventoryStateHandler, reconciler: InventoryReconciler) -> None:
        self._state_missing, self._reconciler = state_missing, reconciler

    async def __call__(self) -> list[Finding]:
        if not await self._state_missing():
            return []
        return await self._reconciler(ReconciliationScope(), _quietly, repair=True, lost_only=True)
