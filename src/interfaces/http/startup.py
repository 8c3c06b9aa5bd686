"""Work an API process does when it starts, next to serving rather than before it."""

from __future__ import annotations

from loguru import logger

from application.use_cases.inventory_state import REPAIR
from domain.reconciliation import FindingKind
from infrastructure.container import Container


async def rebuild_lost_inventory(container: Container) -> None:
    """Rebuild an inventory engine that lost all of its state (``RebuildLostInventoryHandler``
    says when that is safe). Run as a task beside serving: meanwhile the process answers 503
    ``inventory_unavailable`` and readiness says why, while liveness keeps answering however long
    the rebuild takes. A failure is logged; readiness keeps reporting the loss and the manual
    repair still applies."""
    try:
        findings = await container.use_cases.rebuild_lost_inventory()()
    except Exception as exc:  # Redis or Postgres down: nothing was written that the repair cannot redo
        logger.opt(exception=exc).warning("inventory: the automatic rebuild failed; run `{}`", REPAIR)
        return
    if findings:
        left = sum(not finding.repaired and finding.kind is FindingKind.DRIFT for finding in findings)
        logger.warning(
            "inventory: the engine had lost its state and was rebuilt from Postgres: {} findings, {} left unrepaired",
            len(findings),
            left,
        )
