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

    Audited: with an engine that journals its holds (Redis), the release reaches the audit log
    from the journal (``journal_holds``), so it costs the system of record nothing now; with
    the SQL engines the release and its audit row are one transaction.
    """

    def __init__(self, engine: InventoryEngine, clock: Clock, uow: UnitOfWorkFactory, *, journaled: bool) -> None:
        self._engine, self._clock, self._uow, self._journaled = engine, clock, uow, journaled

    async def __call__(self, tenant_id: UUID, hold_id: UUID, customer_ref: str | None = None) -> Hold:
        """``customer_ref``: a signed-in customer releases only its own holds."""
        before = await tenant_hold(self._engine, self._uow, tenant_id, hold_id, customer_ref)
        if self._journaled:
            return await self._engine.release(hold_id, self._clock.now())
        async with self._uow() as uow:  # the SQL engine joins this transaction
            hold = await self._engine.release(hold_id, self._clock.now())
            if hold.status is not before.status:  # releasing again changes nothing: no row
                after = {"status": hold.status}
                await uow.audit.record("hold.release", "hold", hold.id, before={"status": before.status}, after=after)
            await uow.commit()
        return hold
