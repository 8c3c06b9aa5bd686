"""Reconciliation ports: runs as recorded, and the system of record's view of the inventory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.inventory import Hold
from domain.reconciliation import Finding, Reconciliation, ReconciliationKind, ReconciliationScope

Progress = Callable[[int, int | None], Awaitable[None]]
"""Told ``(checked, total)`` as a run goes; ``total`` is ``None`` until it is known."""


class Reconciler(Protocol):
    """One kind of comparison (inventory, payments): returns a finding per disagreement."""

    async def __call__(self, scope: ReconciliationScope, progress: Progress) -> list[Finding]: ...


class ReconciliationRepository(Protocol):
    async def add(self, reconciliation: Reconciliation) -> None: ...

    async def get(self, reconciliation_id: UUID) -> Reconciliation:
        """The run; ``NotFoundError`` when absent."""
        ...

    async def save(self, reconciliation: Reconciliation) -> None:
        """Write its status, progress, findings and error."""
        ...

    async def recent(self, limit: int) -> list[Reconciliation]:
        """The newest runs first."""
        ...

    async def latest_succeeded(self, kind: ReconciliationKind) -> Reconciliation | None:
        """The newest run of ``kind`` that ran to its end, whatever its scope."""
        ...


@dataclass(frozen=True, slots=True)
class RecordedPool:
    """A pool as the system of record has it: its capacity and the units its bookings bought,
    and its overbooking allowance (units sellable beyond capacity)."""

    pool_id: UUID
    listing_id: UUID
    tenant_id: UUID
    capacity: int
    sold: int
    overbooking: int = 0

    @property
    def sellable(self) -> int:
        """The capacity the engine counts against."""
        return self.capacity + self.overbooking


class InventoryRecord(Protocol):
    """What the inventory engine should be counting, as the system of record says."""

    async def pools(self, scope: ReconciliationScope) -> list[RecordedPool]:
        """Every pool in scope, ordered by listing then pool."""
        ...

    async def live_holds(self, scope: ReconciliationScope, now: datetime) -> list[Hold]:
        """The holds in scope that count against their pools: active ones whose time is not up
        (status ``active``) and those whose units a booking owns (status ``confirmed``)."""
        ...
