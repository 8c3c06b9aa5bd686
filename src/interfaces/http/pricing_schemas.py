"""HTTP bodies of price plans and quotes. A rule has one shape in and out (and in the store:
``domain.pricing_codec``); percents are basis points (``1250`` = 12.5 %)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from application.use_cases.pricing.create_quote import CreateQuote
from application.use_cases.pricing.set_pricing import SetPricing
from domain.identity import Actor
from domain.inventory import MAX_LINES, Hold
from domain.money import MAX_MINOR_UNITS
from domain.pricing import MAX_RULES, PricePlan
from domain.pricing_codec import rules_from_dict, rules_to_dict
from domain.quotes import Quote
from interfaces.http.schemas import CustomerRef, HoldLineIn, HoldOut, Input, _customer_of
from interfaces.http.text import Line

RuleName = Annotated[Line, Meta(min_length=1, max_length=100)]
Amount = Annotated[int, Meta(ge=0, le=MAX_MINOR_UNITS)]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SeasonRule(Input):
    """From ``starts_on`` to ``ends_on`` (both included) the unit price is ``unit_price`` for
    ``pool_ids`` (none: every pool)."""

    name: RuleName
    starts_on: date
    ends_on: date
    unit_price: Amount
    pool_ids: Annotated[list[UUID], Meta(max_length=MAX_RULES)] = []


class WeekdayRule(Input):
    """On ``weekdays`` the rate moves by ``adjust_bp`` basis points (-10000 to 100000)."""

    name: RuleName
    weekdays: Annotated[list[Weekday], Meta(min_length=1, max_length=7)]
    adjust_bp: int


class StayDiscountRule(Input):
    """``percent_bp`` (1 to 10000) off each night of a stay of ``min_nights`` nights or more."""

    min_nights: int
    percent_bp: int


class FeeRule(Input):
    """``fixed``: ``value`` minor units per booking or per unit; ``percent``: ``value`` basis
    points of the units' charges (per booking)."""

    name: RuleName
    kind: Literal["fixed", "percent"]
    value: int
    per: Literal["booking", "unit"] = "booking"


class TaxRule(Input):
    """Like a fee, on the units' charges plus the fees; ``inclusive``: already in the prices
    (shown, never added)."""

    name: RuleName
    kind: Literal["fixed", "percent"]
    value: int
    per: Literal["booking", "unit"] = "booking"
    inclusive: bool = False


def _rules(max_length: int = MAX_RULES) -> Meta:
    return Meta(max_length=max_length)


class PricingIn(Input):
    currency: Currency
    seasons: Annotated[list[SeasonRule], _rules()] = []
    weekday_rates: Annotated[list[WeekdayRule], _rules()] = []
    stay_discounts: Annotated[list[StayDiscountRule], _rules()] = []
    fees: Annotated[list[FeeRule], _rules()] = []
    taxes: Annotated[list[TaxRule], _rules()] = []

    def command(self, tenant_id: UUID, listing_id: UUID) -> SetPricing:
        rules = rules_from_dict(msgspec.to_builtins(self))
        return SetPricing(tenant_id, listing_id, self.currency, rules)


class PricingOut(msgspec.Struct):
    listing_id: UUID
    currency: str | None  # None: no plan yet
    version: int  # 0: no plan yet (the pools' unit prices alone)
    updated_at: datetime | None
    seasons: list[SeasonRule]
    weekday_rates: list[WeekdayRule]
    stay_discounts: list[StayDiscountRule]
    fees: list[FeeRule]
    taxes: list[TaxRule]

    @classmethod
    def of(cls, listing_id: UUID, plan: PricePlan | None) -> PricingOut:
        if plan is None:
            return cls(listing_id, None, 0, None, [], [], [], [], [])
        head = {"listing_id": plan.listing_id, "currency": plan.currency, "version": plan.version}
        found: PricingOut = msgspec.convert({**head, "updated_at": plan.updated_at, **rules_to_dict(plan.rules)}, cls)
        return found


class QuoteIn(Input):
    listing_id: UUID
    lines: Annotated[list[HoldLineIn], Meta(min_length=1, max_length=MAX_LINES)]
    # Required from staff and API keys (the customer a hold from the quote is for); a signed-in
    # customer's quotes are theirs: left out, it is their own `user:<id>`.
    customer_ref: CustomerRef | None = None

    def command(self, actor: Actor) -> CreateQuote:
        lines = tuple((line.pool_id, line.quantity) for line in self.lines)
        return CreateQuote(actor.tenant.id, self.listing_id, _customer_of(actor, self.customer_ref), lines)


class QuoteLineOut(msgspec.Struct):
    """``kind``: base, season, weekday, discount, fee or tax. ``amount`` is signed for season
    and weekday adjustments and discounts; ``included``: an inclusive tax, already inside the
    other amounts and not added to the total."""

    kind: str
    label: str
    amount: int
    pool_id: UUID | None
    quantity: int
    day: date | None
    included: bool


class QuoteOut(msgspec.Struct):
    id: UUID
    status: Literal["open", "held", "expired"]
    listing_id: UUID
    customer_ref: str
    lines: list[QuoteLineOut]
    subtotal: int
    tax: int  # exclusive taxes, added to the subtotal
    included_tax: int  # inclusive taxes, already in the subtotal
    total: int  # subtotal + tax: what a booking of the quote's hold is charged
    currency: str
    pricing_version: int
    created_at: datetime
    expires_at: datetime
    hold_id: UUID | None

    @classmethod
    def of(cls, quote: Quote, now: datetime) -> QuoteOut:
        breakdown = quote.breakdown
        status = "expired" if now >= quote.expires_at else "held" if quote.hold_id is not None else "open"
        return cls(
            quote.id,
            status,
            quote.listing_id,
            quote.customer_ref,
            [
                QuoteLineOut(x.kind.value, x.label, x.amount, x.pool_id, x.quantity, x.day, x.included)
                for x in breakdown.lines
            ],
            breakdown.subtotal,
            breakdown.tax,
            breakdown.included_tax,
            breakdown.total,
            quote.currency,
            quote.pricing_version,
            quote.created_at,
            quote.expires_at,
            quote.hold_id,
        )


class QuoteHoldOut(msgspec.Struct):
    """The quote and its hold. The hold's ``total_price`` is its pools' unit prices; a booking
    of it is charged the quote's ``total``."""

    quote: QuoteOut
    hold: HoldOut

    @classmethod
    def of(cls, quote: Quote, hold: Hold, now: datetime) -> QuoteHoldOut:
        return cls(QuoteOut.of(quote, now), HoldOut.of(hold, now))
