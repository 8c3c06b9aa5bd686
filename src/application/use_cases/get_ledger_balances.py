"""Read a tenant's ledger balances."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.ledger_views import AccountBalance


class GetLedgerBalancesHandler:
    """Every account of the tenant that has entries, per currency, on its normal side; a
    tenant's books always balance on their own, because no transaction spans two tenants."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID) -> list[AccountBalance]:
        async with self._uow() as uow:
            return await uow.ledger.balances(tenant_id)
