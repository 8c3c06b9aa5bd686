"""The ledger port in memory: what the SQL adapter must be indistinguishable from."""

from __future__ import annotations

from uuid import UUID

from domain.ledger import LedgerTransaction
from domain.ledger_views import AccountBalance, BookingLedger, balances_of


class MemoryLedgerRepository:
    def __init__(self) -> None:
        self.transactions: dict[str, LedgerTransaction] = {}  # by external reference

    async def append(self, transaction: LedgerTransaction) -> bool:
        if transaction.external_reference in self.transactions:
            return False
        self.transactions[transaction.external_reference] = transaction
        return True

    async def balances(self, tenant_id: UUID) -> list[AccountBalance]:
        return balances_of(tx for tx in self.transactions.values() if tx.tenant_id == tenant_id)

    async def booking_view(self, tenant_id: UUID, booking_id: UUID) -> BookingLedger:
        found = [tx for tx in self.transactions.values() if (tx.tenant_id, tx.booking_id) == (tenant_id, booking_id)]
        found.sort(key=lambda tx: (tx.created_at, tx.external_reference))
        return BookingLedger(booking_id, tuple(found))
