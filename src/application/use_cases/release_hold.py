"""Release a hold: give its units back before it expires."""

from __future__ import annotations

from uuid import UUID

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.get_hold import tenant_hold
from domain.inventory import Hold


class ReleaseHoldHandler:
    """Releasing twice is harmless; a hold whose time is up ends ``expired``; a confirmed hold
    cannot be released (cancel its booking instead).
    """

    def __init__(self, engine: InventoryEngine, clock: Clock, uow: UnitOfWorkFactory) -> None:
        self._engine, self._clock, self._uow = engine, clock, uow

    async def __call__(self, tenant_id: UUID, hold_id: UUID, customer_ref: str | None = None) -> Hold:
        """``customer_ref``: a signed-in customer releases only its own holds."""
        await tenant_hold(self._engine, self._uow, tenant_id, hold_id, customer_ref)
        return await self._engine.release(hold_id, self._clock.now())
