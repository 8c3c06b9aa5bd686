"""Prices: a listing's price rules, and the itemised breakdown they give a basket of units.

Everything is integer minor units; percentages are integer basis points (``1250`` = 12.5 %).

How a basket is priced (``price``), line by line, in this order:

* each pool line (``PricedUnit``) starts at its **base**: the pool's unit price times the quantity;
* a **season** covering the line's day replaces the base rate by the season's unit price (shown
  as an adjustment, signed, of ``(season price - base price) * quantity``). A season naming pools
  beats a season for every pool on the days both cover; seasons of one scope never overlap;
* a **weekday rate** matching the day's weekday adjusts the (season) rate by a signed percent,
  at least -100 %;
* a **length-of-stay discount** takes a percent off each night line (charges so far) when the
  stay has at least ``min_nights`` nights: the discount with the largest ``min_nights`` reached
  wins. The stay's length is the number of distinct nights among the basket's lines (one room
  type: its number of night lines; two rooms for the same week are a 7-night stay, not 14);
* **fees**: fixed (per booking, or per unit: times the number of units in the basket) or a
  percent of the units' charges (once per basket);
* **taxes** on the units' charges plus the fees: percent or fixed (per booking or per unit);
  an *exclusive* tax is added to the total, an *inclusive* one is already inside the prices and
  is only shown (its line is ``included``): for a percent ``p`` it is
  ``taxable - taxable / (1 + p)``, for a fixed one its amount, at most the taxable amount.

The day of a line is its pool's night (a stay); a pool without a night (a zone, a seat) takes
its listing's start date (UTC) when the listing has one, else it has no day and only its base
rate, fees and taxes apply.

Rounding rule: every line is rounded on its own, half to even, to whole minor units (a percent
is applied once to the amount it names, never spread over lines); subtotal, tax and total are
exact integer sums of the lines, so the total always equals the sum of the itemised lines that
are not ``included``. No charge, fee, tax, subtotal or total is ever negative: adjustments and
discounts are signed but never take a pool line below zero.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from uuid import UUID

from domain.errors import InvalidValueError
from domain.money import MAX_MINOR_UNITS

WHOLE = 10_000  # basis points in 100 %
MAX_ADJUST_BP = 10 * WHOLE  # a weekday rate may at most multiply the rate by 11
MAX_RULES = 100  # of each kind, per listing
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()


class SeasonsOverlapError(InvalidValueError):
    """Two seasons of the same scope (every pool, or a common pool) cover a common day: which
    one prices that day would be a guess."""

    code = "seasons_overlap"

    def __init__(self, first: str, second: str) -> None:
        super().__init__("seasons", f"{first!r} and {second!r} overlap")


def _check_amount(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINOR_UNITS:
        raise InvalidValueError(name, f"must be a whole number of minor units between 0 and {MAX_MINOR_UNITS}")


def _check_bp(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValueError(name, f"must be between {low} and {high} basis points (100 = 1 %)")


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > 100:
        raise InvalidValueError("name", "must be 1 to 100 characters")


def percent_of(amount: int, basis_points: int) -> int:
    """``amount * basis_points / 10000``, rounded half to even (signed amounts round symmetrically)."""
    return round(Fraction(amount * basis_points, WHOLE))


@dataclass(frozen=True, slots=True)
class Season:
    """From ``starts_on`` to ``ends_on`` (both included) the unit price is ``unit_price``, for
    the pools named (none: every pool of the listing)."""

    name: str
    starts_on: date
    ends_on: date
    unit_price: int
    pool_ids: tuple[UUID, ...] = ()

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_amount("unit_price", self.unit_price)
        if self.ends_on < self.starts_on:
            raise InvalidValueError("ends_on", f"season {self.name!r} ends before it starts")

    def covers(self, day: date, pool_id: UUID) -> bool:
        return self.starts_on <= day <= self.ends_on and (not self.pool_ids or pool_id in self.pool_ids)

    def overlaps(self, other: Season) -> bool:
        same_scope = (not self.pool_ids and not other.pool_ids) or bool(set(self.pool_ids) & set(other.pool_ids))
        return same_scope and self.starts_on <= other.ends_on and other.starts_on <= self.ends_on


@dataclass(frozen=True, slots=True)
class WeekdayRate:
    """On these weekdays (0 = Monday) the rate moves by ``adjust_bp`` (negative: cheaper)."""

    name: str
    weekdays: tuple[int, ...]
    adjust_bp: int

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not self.weekdays or any(not 0 <= day <= 6 for day in self.weekdays):
            raise InvalidValueError("weekdays", "must name at least one weekday")
        _check_bp("adjust_bp", self.adjust_bp, -WHOLE, MAX_ADJUST_BP)


@dataclass(frozen=True, slots=True)
class StayDiscount:
    """``percent_bp`` off each night of a stay of at least ``min_nights`` nights."""

    min_nights: int
    percent_bp: int

    def __post_init__(self) -> None:
        if isinstance(self.min_nights, bool) or not 1 <= self.min_nights <= 3660:
            raise InvalidValueError("min_nights", "must be between 1 and 3660")
        _check_bp("percent_bp", self.percent_bp, 1, WHOLE)


class Per(enum.StrEnum):
    BOOKING = "booking"
    UNIT = "unit"  # times the basket's units (a night of one room, a seat)


class ChargeKind(enum.StrEnum):
    FIXED = "fixed"  # ``value`` minor units
    PERCENT = "percent"  # ``value`` basis points


@dataclass(frozen=True, slots=True)
class Fee:
    """Cleaning, service...: fixed per booking or per unit, or a percent of the units' charges."""

    name: str
    kind: ChargeKind
    value: int
    per: Per = Per.BOOKING

    def __post_init__(self) -> None:
        _check_charge(self.name, self.kind, self.value, self.per)


@dataclass(frozen=True, slots=True)
class Tax:
    """A tax on the units' charges and the fees; ``inclusive``: already inside those prices."""

    name: str
    kind: ChargeKind
    value: int
    per: Per = Per.BOOKING
    inclusive: bool = False

    def __post_init__(self) -> None:
        _check_charge(self.name, self.kind, self.value, self.per)


def _check_charge(name: str, kind: ChargeKind, value: int, per: Per) -> None:
    _check_name(name)
    if kind is ChargeKind.FIXED:
        _check_amount("value", value)
        return
    _check_bp("value", value, 0, WHOLE)
    if per is not Per.BOOKING:
        raise InvalidValueError("per", f"{name!r}: a percent applies to the basket once: per booking")


@dataclass(frozen=True, slots=True)
class PriceRules:
    """A listing's price rules; the pools' unit prices are the base. Empty rules: base only."""

    seasons: tuple[Season, ...] = ()
    weekday_rates: tuple[WeekdayRate, ...] = ()
    stay_discounts: tuple[StayDiscount, ...] = ()
    fees: tuple[Fee, ...] = ()
    taxes: tuple[Tax, ...] = ()

    def __post_init__(self) -> None:
        for name in ("seasons", "weekday_rates", "stay_discounts", "fees", "taxes"):
            if len(getattr(self, name)) > MAX_RULES:
                raise InvalidValueError(name, f"at most {MAX_RULES}")
        for index, season in enumerate(self.seasons):
            for other in self.seasons[index + 1 :]:
                if season.overlaps(other):
                    raise SeasonsOverlapError(season.name, other.name)
        days = [day for rate in self.weekday_rates for day in rate.weekdays]
        if len(days) != len(set(days)):
            raise InvalidValueError("weekday_rates", "a weekday may have one rate only")
        nights = [discount.min_nights for discount in self.stay_discounts]
        if len(nights) != len(set(nights)):
            raise InvalidValueError("stay_discounts", "one discount per min_nights")

    def pool_ids(self) -> set[UUID]:
        return {pool for season in self.seasons for pool in season.pool_ids}

    def season_for(self, day: date, pool_id: UUID) -> Season | None:
        covering = [season for season in self.seasons if season.covers(day, pool_id)]
        return min(covering, key=lambda season: not season.pool_ids, default=None)  # pool-specific first

    def weekday_rate(self, day: date) -> WeekdayRate | None:
        return next((rate for rate in self.weekday_rates if day.weekday() in rate.weekdays), None)

    def stay_discount(self, nights: int) -> StayDiscount | None:
        reached = [discount for discount in self.stay_discounts if discount.min_nights <= nights]
        return max(reached, key=lambda discount: discount.min_nights, default=None)


@dataclass(frozen=True, slots=True)
class PricePlan:
    """A listing's stored rules; ``version`` counts their changes (1: the first set)."""

    tenant_id: UUID
    listing_id: UUID
    currency: str
    rules: PriceRules
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PricedUnit:
    """One pool line of a basket, as pricing needs it."""

    pool_id: UUID
    label: str  # the pool's code
    quantity: int
    base_price: int  # the pool's unit price
    day: date | None  # the night (stays), the listing's start date, or None
    night: bool  # whether the line is a night of a stay


class LineKind(enum.StrEnum):
    BASE = "base"
    SEASON = "season"
    WEEKDAY = "weekday"
    DISCOUNT = "discount"
    FEE = "fee"
    TAX = "tax"


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One itemised line. ``amount`` is signed for adjustments and discounts; ``included``:
    an inclusive tax, inside the other lines' amounts and not added to the total."""

    kind: LineKind
    label: str
    amount: int
    pool_id: UUID | None = None
    quantity: int = 0
    day: date | None = None
    included: bool = False


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    lines: tuple[PriceLine, ...]
    subtotal: int  # the units' charges and the fees
    tax: int  # exclusive taxes
    included_tax: int  # inclusive taxes, already in the subtotal
    total: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", self.subtotal + self.tax)


def price(rules: PriceRules, units: Sequence[PricedUnit]) -> PriceBreakdown:
    """The itemised price of ``units`` under ``rules`` (see the module's docstring)."""
    nights = len({unit.day for unit in units if unit.night and unit.day is not None})
    discount = rules.stay_discount(nights)
    lines = [line for unit in units for line in _unit_lines(rules, unit, discount)]
    charges = sum(line.amount for line in lines)
    count = sum(unit.quantity for unit in units)
    lines += [_fee_line(fee, charges, count) for fee in rules.fees]
    subtotal = sum(line.amount for line in lines)
    taxes = [_tax_line(tax, subtotal, count) for tax in rules.taxes]
    lines += taxes
    exclusive = sum(line.amount for line in taxes if not line.included)
    included = sum(line.amount for line in taxes if line.included)
    return PriceBreakdown(tuple(lines), subtotal, exclusive, included)


def _unit_lines(rules: PriceRules, unit: PricedUnit, discount: StayDiscount | None) -> list[PriceLine]:
    rate, quantity, day = unit.base_price, unit.quantity, unit.day
    lines = [PriceLine(LineKind.BASE, unit.label, rate * quantity, unit.pool_id, quantity, day)]
    if day is not None:
        season = rules.season_for(day, unit.pool_id)
        if season is not None and season.unit_price != rate:
            change = (season.unit_price - rate) * quantity
            lines.append(PriceLine(LineKind.SEASON, season.name, change, unit.pool_id, quantity, day))
            rate = season.unit_price
        weekday = rules.weekday_rate(day)
        change = 0 if weekday is None else percent_of(rate * quantity, weekday.adjust_bp)
        if weekday is not None and change:
            lines.append(PriceLine(LineKind.WEEKDAY, weekday.name, change, unit.pool_id, quantity, day))
    if discount is not None and unit.night:
        off = percent_of(sum(line.amount for line in lines), discount.percent_bp)
        label = f"{discount.min_nights}+ nights"
        lines.append(PriceLine(LineKind.DISCOUNT, label, -off, unit.pool_id, quantity, day))
    return lines


def _times(per: Per, count: int) -> int:
    return count if per is Per.UNIT else 1


def _fee_line(fee: Fee, charges: int, count: int) -> PriceLine:
    if fee.kind is ChargeKind.PERCENT:
        return PriceLine(LineKind.FEE, fee.name, percent_of(charges, fee.value))
    return PriceLine(LineKind.FEE, fee.name, fee.value * _times(fee.per, count), quantity=_times(fee.per, count))


def _tax_line(tax: Tax, taxable: int, count: int) -> PriceLine:
    if tax.kind is ChargeKind.FIXED:
        amount = tax.value * _times(tax.per, count)
        amount = min(amount, taxable) if tax.inclusive else amount
        return PriceLine(LineKind.TAX, tax.name, amount, quantity=_times(tax.per, count), included=tax.inclusive)
    if tax.inclusive:  # the tax inside ``taxable``: taxable - taxable / (1 + rate)
        amount = taxable - round(Fraction(taxable * WHOLE, WHOLE + tax.value))
        return PriceLine(LineKind.TAX, tax.name, amount, included=True)
    return PriceLine(LineKind.TAX, tax.name, percent_of(taxable, tax.value))
