"""Ports for price plans and quotes: the stored plans and quotes (part of the unit of work), a
per-process view of the plans, and the one-write path a new quote takes."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.pricing import PricePlan
from domain.quotes import Quote


class PricePlanRepository(Protocol):
    async def get(self, tenant_id: UUID, listing_id: UUID) -> PricePlan | None:
        """The listing's plan; None when it has none (the pools' unit prices alone)."""
        ...

    async def put(self, plan: PricePlan) -> None:
        """Stores the plan, replacing the listing's previous one."""
        ...


class QuoteRepository(Protocol):
    async def get(self, tenant_id: UUID, quote_id: UUID) -> Quote:
        """The tenant's quote; ``NotFoundError`` for another tenant's or none."""
        ...

    async def set_hold(self, quote_id: UUID, hold_id: UUID) -> None:
        """Records the hold that locks the quote (a no-op when it has that hold already)."""
        ...

    async def by_hold(self, tenant_id: UUID, hold_id: UUID) -> Quote | None:
        """The quote a hold locks, if it came from one: what a booking of that hold charges."""
        ...


class PricePlans(Protocol):
    """The plans as quotes read them, from a per-process cache: a plan set in this process is
    used at once (``changed``), one set in another within the adapter's stated bound."""

    async def plan(self, tenant_id: UUID, listing_id: UUID) -> PricePlan | None: ...

    def changed(self, listing_id: UUID) -> None:
        """The listing's plan changed (committed): forget it here."""
        ...


class QuoteWriter(Protocol):
    async def add(self, quote: Quote) -> None:
        """Writes a new quote in a transaction of its own, committed when this returns, in as
        few round trips as the store allows; writing the same quote again is harmless."""
        ...
