"""Set a listing's price plan: seasons, weekday rates, stay discounts, fees and taxes."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.pricing import PricePlans
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import InvalidValueError
from domain.listings import Pool
from domain.money import Money
from domain.pricing import PricePlan, PriceRules
from domain.pricing_codec import rules_to_dict


def plan_summary(plan: PricePlan | None) -> dict[str, object] | None:
    """A plan as its audit rows show it."""
    if plan is None:
        return None
    return {"currency": plan.currency, "version": plan.version, "rules": rules_to_dict(plan.rules)}


@dataclass(frozen=True, slots=True)
class SetPricing:
    tenant_id: UUID
    listing_id: UUID
    currency: str
    rules: PriceRules

    def __post_init__(self) -> None:
        Money(0, self.currency)  # a three-letter code in capitals


class SetPricingHandler:
    """Rules:

    * the listing must be the tenant's (else ``NotFoundError``); its plan is replaced whole
      and its ``version`` goes up by one (the first plan is version 1);
    * the plan's currency is its pools' (all pools of a listing share one); a listing without
      pools yet takes any currency, and a quote made later still checks it against the pools;
    * a season may name only the listing's pools; the rules themselves are checked by the
      domain (``PriceRules``: seasons of one scope never overlap, percents within bounds);
    * the change is audited (``pricing.set``, before and after), under the listing's row lock
      so that two plans set at once are versioned one after the other;
    * once committed, the plan is announced changed to the plans' cache: new quotes in this
      process use it at once, in others within the cache's bound.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, plans: PricePlans) -> None:
        self._uow, self._clock, self._plans = uow, clock, plans

    async def __call__(self, command: SetPricing) -> PricePlan:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            _check_pools(command, await uow.pools.for_listing(listing.tenant_id, listing.id))
            before = await uow.prices.get(listing.tenant_id, listing.id)
            version = 1 if before is None else before.version + 1
            plan = PricePlan(listing.tenant_id, listing.id, command.currency, command.rules, version, self._clock.now())
            await uow.prices.put(plan)
            await uow.audit.record(
                "pricing.set", "listing", listing.id, before=plan_summary(before), after=plan_summary(plan)
            )
            await uow.commit()
        self._plans.changed(listing.id)
        return plan


def _check_pools(command: SetPricing, pools: list[Pool]) -> None:
    currencies = {pool.unit_price.currency for pool in pools}
    if currencies and currencies != {command.currency}:
        raise InvalidValueError("currency", f"must be the listing's pools' currency ({', '.join(sorted(currencies))})")
    unknown = command.rules.pool_ids() - {pool.id for pool in pools}
    if unknown:
        raise InvalidValueError("pool_ids", f"not pools of this listing: {', '.join(sorted(map(str, unknown)))}")


class GetPricingHandler:
    """The listing's plan, or None when it has none (its pools' unit prices alone apply);
    another tenant's listing is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> PricePlan | None:
        async with self._uow() as uow:
            listing = await uow.listings.get(tenant_id, listing_id)
            return await uow.prices.get(listing.tenant_id, listing.id)
