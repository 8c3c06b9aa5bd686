"""Quote a basket: its itemised price now, kept for a while, holding nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from application.ports.catalogue import CatalogueCache, ListingCatalogue
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.pricing import PricePlans, QuoteWriter
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import InvalidValueError, NotFoundError
from domain.inventory import MAX_LINES, HoldLine
from domain.listings import Pool
from domain.money import Money
from domain.pricing import PricedUnit, PriceRules, price
from domain.quotes import Quote
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class CreateQuote:
    tenant_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: tuple[tuple[UUID, int], ...]

    def __post_init__(self) -> None:
        check_line("customer_ref", self.customer_ref)


def quote_summary(quote: Quote) -> dict[str, object]:
    """A quote as its audit rows show it."""
    return {
        "listing_id": quote.listing_id,
        "customer_ref": quote.customer_ref,
        "total": quote.breakdown.total,
        "currency": quote.currency,
        "pricing_version": quote.pricing_version,
        "expires_at": quote.expires_at,
        "hold_id": quote.hold_id,
    }


class CreateQuoteHandler:
    """Rules:

    * every pool must belong to the listing (else ``NotFoundError``), each at most once, with a
      quantity a hold would take; nothing is reserved and availability is not checked (the
      hold from the quote is where units are won or lost);
    * the price is the listing's price plan applied to the pools' current unit prices
      (``domain.pricing.price``); a listing without a plan is priced at its unit prices alone;
      the plan's currency must still be the pools' (else ``validation_failed``);
    * the quote is kept, with its breakdown and the plan's version, until ``ttl_seconds``
      from now: until then, holding it locks this price;
    * the listing and its pools come from the catalogue cache, the plan from the plans'
      per-process cache (``PricePlans``), each fresh within its stated bound: pricing reads
      no database, and the quote is the request's one write (``QuoteWriter``). A quote is not
      audited: it changes nothing the tenant owns (no unit, no money); holding it is
      (``quote.hold``), and the plan it was priced with is named by ``pricing_version``, whose
      changes are.
    """

    def __init__(
        self,
        plans: PricePlans,
        writer: QuoteWriter,
        catalogue: CatalogueCache,
        clock: Clock,
        ids: IdGenerator,
        ttl_seconds: int,
    ) -> None:
        self._plans, self._writer, self._catalogue = plans, writer, catalogue
        self._clock, self._ids, self._ttl = clock, ids, ttl_seconds

    async def __call__(self, command: CreateQuote) -> Quote:
        found = await self._catalogue.listing(command.tenant_id, command.listing_id)
        units = priced_units(found, command.lines)
        currency = found.pools[command.lines[0][0]].unit_price.currency
        plan = await self._plans.plan(command.tenant_id, command.listing_id)
        if plan is not None and plan.currency != currency:
            raise InvalidValueError("currency", f"the price plan is in {plan.currency}, the pools in {currency}")
        breakdown = price(PriceRules() if plan is None else plan.rules, units)
        Money(breakdown.total, currency)  # within range
        now = self._clock.now()
        quote = Quote(
            id=self._ids.new_id(),
            tenant_id=command.tenant_id,
            listing_id=command.listing_id,
            customer_ref=command.customer_ref,
            lines=command.lines,
            currency=currency,
            breakdown=breakdown,
            pricing_version=0 if plan is None else plan.version,
            created_at=now,
            expires_at=now + timedelta(seconds=self._ttl),
        )
        await self._writer.add(quote)
        return quote


def priced_units(found: ListingCatalogue, lines: tuple[tuple[UUID, int], ...]) -> list[PricedUnit]:
    """The basket's lines as pricing reads them; a pool without a night takes the listing's
    start date (UTC) as its day, when the listing has one."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidValueError("lines", f"must have 1 to {MAX_LINES} lines")
    if len({pool_id for pool_id, _ in lines}) != len(lines):
        raise InvalidValueError("lines", "name each pool at most once")
    starts = found.listing.starts_at
    start_day = None if starts is None else starts.date()
    return [_unit(found.pools, pool_id, quantity, start_day) for pool_id, quantity in lines]


def _unit(pools: Mapping[UUID, Pool], pool_id: UUID, quantity: int, start_day: date | None) -> PricedUnit:
    pool = pools.get(pool_id)
    if pool is None:
        raise NotFoundError("pool", pool_id)
    HoldLine(pool_id, quantity)  # the quantity a hold would take
    day = pool.night if pool.night is not None else start_day
    return PricedUnit(pool.id, pool.code, quantity, pool.unit_price.amount, day, pool.night is not None)


class GetQuoteHandler:
    """The tenant's quote; another tenant's is not found, and so is another customer's when
    ``customer_ref`` confines the caller to one (a signed-in customer)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, quote_id: UUID, customer_ref: str | None = None) -> Quote:
        async with self._uow() as uow:
            quote = await uow.quotes.get(tenant_id, quote_id)
        if customer_ref not in (None, quote.customer_ref):
            raise NotFoundError("quote", quote_id)
        return quote
