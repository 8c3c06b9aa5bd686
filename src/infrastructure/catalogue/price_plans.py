"""Price plans as quotes read them: per process, each kept for a bounded time."""

from __future__ import annotations

import time
from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from domain.pricing import PricePlan

MAX_CACHED_PLANS = 10_000
PRICE_PLAN_MAX_AGE_SECONDS = 1.0  # how stale a plan set in another process may be, at most


class TtlPricePlans:
    """Plans by listing, kept per process at most ``max_age`` seconds (monotonic): a plan set
    in another process is used by new quotes within that bound, one set in this process at
    once. The pools' unit prices come from the catalogue cache under its own bound; a quote
    names the plan version it was priced with."""

    def __init__(self, uow: UnitOfWorkFactory, max_age: float) -> None:
        self._uow, self._max_age = uow, max_age
        self._plans: dict[tuple[UUID, UUID], tuple[float, PricePlan | None]] = {}

    async def plan(self, tenant_id: UUID, listing_id: UUID) -> PricePlan | None:
        key, now = (tenant_id, listing_id), time.monotonic()
        kept = self._plans.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        async with self._uow() as uow:
            found = await uow.prices.get(tenant_id, listing_id)
        if len(self._plans) >= MAX_CACHED_PLANS:
            self._plans.clear()  # a bound on memory; the next reads refill what is in use
        self._plans[key] = (now + self._max_age, found)
        return found

    def changed(self, listing_id: UUID) -> None:
        for key in [key for key in self._plans if key[1] == listing_id]:
            del self._plans[key]
