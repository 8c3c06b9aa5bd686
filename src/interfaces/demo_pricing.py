"""The demo property's price plan: a season, a weekend rate, a 7-night discount, a cleaning
fee and a tourist tax, so that a quote of the demo stay shows every kind of line."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from application.ports.repositories import PageRequest
from application.use_cases.pricing.set_pricing import SetPricing
from domain.listings import ListingKind
from domain.pricing import ChargeKind, Fee, Per, PriceRules, Season, StayDiscount, Tax, WeekdayRate
from infrastructure.container import Container

# The high season starts SEASON_STARTS days after the demo is loaded (its nights are on sale from
# that day on), so the demo shows it whenever it is loaded.
SEASON_STARTS, SEASON_DAYS = 60, 60


def demo_plan(today: date) -> PriceRules:
    start = today + timedelta(days=SEASON_STARTS)
    return replace(DEMO_PLAN, seasons=(Season("High season", start, start + timedelta(days=SEASON_DAYS), 14_000),))


DEMO_PLAN = PriceRules(
    weekday_rates=(WeekdayRate("Weekend nights", (4, 5), 2_000),),  # Friday and Saturday: +20 %
    stay_discounts=(StayDiscount(7, 1_000),),  # 10 % off each night of a week or more
    fees=(Fee("Cleaning", ChargeKind.FIXED, 4_500, Per.BOOKING),),
    taxes=(Tax("Tourist tax", ChargeKind.FIXED, 250, Per.UNIT),),  # per room-night, on top
)


async def load_demo_pricing(container: Container, tenant_id: UUID) -> None:
    """Gives the demo tenant's stay properties the demo plan (their pools are in EUR)."""
    async with container.gateways.uow() as uow:
        listings = (await uow.listings.list(tenant_id, PageRequest(limit=200))).items
    set_pricing = container.use_cases.set_pricing()
    plan = demo_plan(container.core.clock().now().date())
    for listing in listings:
        if listing.kind is ListingKind.STAY_PROPERTY:
            await set_pricing(SetPricing(tenant_id, listing.id, "EUR", plan))
