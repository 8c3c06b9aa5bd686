"""The ledger's store: append-only, and idempotent on each transaction's external reference."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.ledger import LedgerTransaction
from domain.ledger_views import AccountBalance, BookingLedger


class LedgerRepository(Protocol):
    """Part of the unit of work, so postings commit with the booking change that caused them."""

    async def append(self, transaction: LedgerTransaction) -> bool:
        """Record the transaction and its entries; False, changing nothing, when a transaction
        with the same external reference exists. This is what makes a redelivered webhook
        harmless: posting the same fact twice is a no-op. Concurrent appends of one reference
        record it once."""
        ...

    async def balances(self, tenant_id: UUID) -> list[AccountBalance]:
        """The tenant's accounts that have entries, per currency, ordered by account and currency."""
        ...

    async def booking_view(self, tenant_id: UUID, booking_id: UUID) -> BookingLedger:
        """The booking's transactions with their entries, oldest first; empty when nothing was
        posted for it (or it is another tenant's)."""
        ...
