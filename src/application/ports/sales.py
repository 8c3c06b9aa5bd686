"""What sales reports read: a tenant's ledger movements and confirmed units, by listing."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.sales import LedgerMovement, UnitsSold


class SalesRepository(Protocol):
    """Reads only; part of the unit of work so both reads see one snapshot on Postgres."""

    async def movements(
        self, tenant_id: UUID, start: datetime, end: datetime, listing_ids: Set[UUID] | None
    ) -> list[LedgerMovement]:
        """The entries on the accounts a report shows (``domain.sales.REPORTED_ACCOUNTS``) of
        transactions of the tenant's bookings made in [``start``, ``end``), each with its
        booking's listing; ``listing_ids`` None: every listing."""
        ...

    async def units_sold(
        self, tenant_id: UUID, start: datetime, end: datetime, listing_ids: Set[UUID] | None
    ) -> list[UnitsSold]:
        """The tenant's bookings confirmed in [``start``, ``end``) (their transition to
        ``confirmed``), with their units."""
        ...
