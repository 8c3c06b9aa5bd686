"""Read a hold."""

from __future__ import annotations

from uuid import UUID

from application.errors import InventoryUnavailableError
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.inventory_state import catalogue_has_pools
from domain.errors import NotFoundError
from domain.inventory import Hold


async def tenant_hold(
    engine: InventoryEngine, uow: UnitOfWorkFactory, tenant_id: UUID, hold_id: UUID, customer_ref: str | None = None
) -> Hold:
    """The tenant's hold; another tenant's is not found, exactly like a missing one, and so is
    another customer's when ``customer_ref`` confines the caller to one (a signed-in customer).

    An engine with no state at all cannot tell a lost hold from an unknown one: that is a loss
    (503) unless the catalogue has no pool either, when no hold can ever have existed.
    """
    try:
        hold = await engine.get_hold(hold_id)
    except InventoryUnavailableError:
        if await catalogue_has_pools(uow):
            raise
        hold = None
    if hold is None or hold.tenant_id != tenant_id or customer_ref not in (None, hold.customer_ref):
        raise NotFoundError("hold", hold_id)
    return hold


class GetHoldHandler:
    def __init__(self, engine: InventoryEngine, uow: UnitOfWorkFactory) -> None:
        self._engine, self._uow = engine, uow

    async def __call__(self, tenant_id: UUID, hold_id: UUID, customer_ref: str | None = None) -> Hold:
        return await tenant_hold(self._engine, self._uow, tenant_id, hold_id, customer_ref)
