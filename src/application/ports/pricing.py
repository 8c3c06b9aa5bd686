"""Persistence ports for price plans and quotes (part of the unit of work)."""

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
    async def add(self, quote: Quote) -> None: ...

    async def get(self, tenant_id: UUID, quote_id: UUID) -> Quote:
        """The tenant's quote; ``NotFoundError`` for another tenant's or none."""
        ...

    async def set_hold(self, quote_id: UUID, hold_id: UUID) -> None:
        """Records the hold that locks the quote (a no-op when it has that hold already)."""
        ...

    async def by_hold(self, tenant_id: UUID, hold_id: UUID) -> Quote | None:
        """The quote a hold locks, if it came from one: what a booking of that hold charges."""
        ...
