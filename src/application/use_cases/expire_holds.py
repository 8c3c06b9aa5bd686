"""Expire every hold whose time is up, returning its units to the pools."""

from __future__ import annotations

from application.audit import system_context
from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from domain.inventory import Hold

EXPIRY = system_context("expiry")  # who expires holds, in the audit log


class ExpireHoldsHandler:
    """Safe to run anywhere, any number of times at once: the engine returns each expired
    hold's units exactly once.

    Audited as ``hold.expire`` by ``system:expiry``: with an engine that journals its holds
    (Redis) from the journal (``journal_holds``); with the SQL engines in the expiries' own
    transaction (the engine joins the unit of work), one row per hold this call expired.
    """

    def __init__(self, engine: InventoryEngine, clock: Clock, uow: UnitOfWorkFactory, *, journaled: bool) -> None:
        self._engine, self._clock, self._uow, self._journaled = engine, clock, uow, journaled

    async def __call__(self, limit: int = 500) -> list[Hold]:
        if self._journaled:
            return await self._engine.expire_due(self._clock.now(), limit)
        async with self._uow() as uow:
            expired = await self._engine.expire_due(self._clock.now(), limit)
            for hold in expired:
                after = {"status": hold.status}
                await uow.audit.record(
                    "hold.expire", "hold", hold.id, after=after, tenant_id=hold.tenant_id, context=EXPIRY
                )
            await uow.commit()
        return expired
