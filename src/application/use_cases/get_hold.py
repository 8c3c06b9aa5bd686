"""Read a hold."""

from __future__ import annotations

from uuid import UUID

from application.ports.inventory import InventoryEngine
from domain.errors import NotFoundError
from domain.inventory import Hold


async def tenant_hold(engine: InventoryEngine, tenant_id: UUID, hold_id: UUID) -> Hold:
    """The tenant's hold; another tenant's is not found, exactly like a missing one."""
    hold = await engine.get_hold(hold_id)
    if hold is None or hold.tenant_id != tenant_id:
        raise NotFoundError("hold", hold_id)
    return hold


class GetHoldHandler:
    def __init__(self, engine: InventoryEngine) -> None:
        self._engine = engine

    async def __call__(self, tenant_id: UUID, hold_id: UUID) -> Hold:
        return await tenant_hold(self._engine, tenant_id, hold_id)
