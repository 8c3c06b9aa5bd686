"""Pricing's promises, for any rules and any basket: the total is the exact sum of the itemised
lines (inclusive taxes aside), inclusive taxes never change the total, and no charge, fee, tax
or total is negative (adjustments and discounts never take a pool line below zero)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.pricing import (
    WHOLE,
    ChargeKind,
    Fee,
    LineKind,
    Per,
    PriceBreakdown,
    PricedUnit,
    PriceRules,
    Season,
    StayDiscount,
    Tax,
    WeekdayRate,
    price,
)
from domain.pricing_codec import breakdown_from_dict, breakdown_to_dict, rules_from_dict, rules_to_dict

POOLS = [uuid4() for _ in range(3)]
START = date(2030, 1, 1)
amounts = st.integers(0, 10**9)
days = st.integers(0, 60).map(lambda n: START + timedelta(days=n))


@st.composite
def seasons(draw: st.DrawFn) -> tuple[Season, ...]:
    """Disjoint seasons: for every pool, then for one pool (they may overlap the former)."""
    found = []
    for index, scope in enumerate(((), (POOLS[0],))):
        cuts = sorted(draw(st.sets(st.integers(0, 60), max_size=6)))
        for number, (first, last) in enumerate(zip(cuts[::2], cuts[1::2], strict=False)):
            begin, end = START + timedelta(days=first), START + timedelta(days=last)
            found.append(Season(f"s{index}-{number}", begin, end, draw(amounts), scope))
    return tuple(found)


def charges(kind: type[Fee] | type[Tax]) -> st.SearchStrategy[Fee | Tax]:
    fixed = st.builds(kind, st.just("c"), st.just(ChargeKind.FIXED), st.integers(0, 10**7), st.sampled_from(Per))
    percent = st.builds(kind, st.just("p"), st.just(ChargeKind.PERCENT), st.integers(0, WHOLE), st.just(Per.BOOKING))
    if kind is Tax:
        fixed = fixed.flatmap(lambda tax: st.booleans().map(lambda inc: replace(tax, inclusive=inc)))
        percent = percent.flatmap(lambda tax: st.booleans().map(lambda inc: replace(tax, inclusive=inc)))
    return fixed | percent


weekday_rates = st.lists(st.integers(-WHOLE, 10 * WHOLE), max_size=7).map(
    lambda adjusts: tuple(WeekdayRate(f"w{day}", (day,), adjust) for day, adjust in enumerate(adjusts))
)
discounts = st.dictionaries(st.integers(1, 30), st.integers(1, WHOLE), max_size=4).map(
    lambda found: tuple(StayDiscount(nights, percent) for nights, percent in found.items())
)
rules = st.builds(
    PriceRules,
    seasons=seasons(),
    weekday_rates=weekday_rates,
    stay_discounts=discounts,
    fees=st.lists(charges(Fee), max_size=3).map(tuple),
    taxes=st.lists(charges(Tax), max_size=3).map(tuple),
)


@st.composite
def baskets(draw: st.DrawFn) -> list[PricedUnit]:
    units = []
    for pool in draw(st.lists(st.sampled_from(POOLS), min_size=1, max_size=3, unique=True)):
        night = draw(st.booleans())
        day = draw(days) if night else draw(st.none() | days)
        units.append(PricedUnit(pool, "p", draw(st.integers(1, 50)), draw(amounts), day, night))
    return units


def _unit_nets(breakdown: PriceBreakdown) -> dict[UUID, int]:
    nets: dict[UUID, int] = {}
    for line in breakdown.lines:
        if line.pool_id is not None:
            nets[line.pool_id] = nets.get(line.pool_id, 0) + line.amount
    return nets


@given(rules, baskets())
def test_the_total_is_the_exact_sum_of_the_itemised_lines(found: PriceRules, units: list[PricedUnit]) -> None:
    breakdown = price(found, units)
    added = [line.amount for line in breakdown.lines if not line.included]
    assert breakdown.total == sum(added)
    assert breakdown.subtotal == sum(line.amount for line in breakdown.lines if line.kind is not LineKind.TAX)
    assert breakdown.tax == sum(
        line.amount for line in breakdown.lines if line.kind is LineKind.TAX and not line.included
    )
    assert breakdown.included_tax == sum(line.amount for line in breakdown.lines if line.included)


@given(rules, baskets())
def test_nothing_is_ever_negative(found: PriceRules, units: list[PricedUnit]) -> None:
    breakdown = price(found, units)
    signed = {LineKind.SEASON, LineKind.WEEKDAY, LineKind.DISCOUNT}
    assert all(line.amount >= 0 for line in breakdown.lines if line.kind not in signed)
    assert all(line.amount <= 0 for line in breakdown.lines if line.kind is LineKind.DISCOUNT)
    assert all(net >= 0 for net in _unit_nets(breakdown).values())
    assert min(breakdown.subtotal, breakdown.tax, breakdown.included_tax, breakdown.total) >= 0
    assert all(line.amount <= breakdown.subtotal for line in breakdown.lines if line.included)


@given(rules, baskets(), st.lists(charges(Tax), max_size=3))
def test_inclusive_taxes_never_change_the_total(found: PriceRules, units: list[PricedUnit], extra: list[Tax]) -> None:
    inclusive = tuple(replace(tax, inclusive=True) for tax in extra)  # type: ignore[arg-type]
    without = price(found, units)
    with_them = price(replace(found, taxes=found.taxes + inclusive), units)
    assert with_them.total == without.total
    assert with_them.subtotal == without.subtotal
    assert with_them.included_tax >= without.included_tax


@given(rules, baskets())
def test_rules_and_breakdowns_survive_their_json_shape(found: PriceRules, units: list[PricedUnit]) -> None:
    assert rules_from_dict(rules_to_dict(found)) == found
    breakdown = price(found, units)
    assert breakdown_from_dict(breakdown_to_dict(breakdown)) == breakdown
