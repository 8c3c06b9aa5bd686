"""Pricing's rules on examples: rounding half to even, which season and discount win, and
which rules are refused (overlapping seasons with their own code, percents out of bounds)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError
from domain.pricing import (
    ChargeKind,
    Fee,
    LineKind,
    Per,
    PricedUnit,
    PriceRules,
    Season,
    SeasonsOverlapError,
    StayDiscount,
    Tax,
    WeekdayRate,
    percent_of,
    price,
)
from domain.pricing_codec import rules_from_dict

POOL, OTHER = uuid4(), uuid4()
FRIDAY = date(2030, 1, 4)


def night(day: date, base: int = 10_000, pool: object = POOL, quantity: int = 1) -> PricedUnit:
    return PricedUnit(pool, "room", quantity, base, day, True)  # type: ignore[arg-type]


def test_percents_round_half_to_even_in_minor_units() -> None:
    assert [percent_of(amount, 5_000) for amount in (1, 3, 5, 7)] == [0, 2, 2, 4]  # 0.5 1.5 2.5 3.5
    assert percent_of(-3, 5_000) == -2  # symmetric
    assert percent_of(10_005, 1_000) == 1_000  # 1000.5 -> 1000


def test_a_pool_season_beats_a_season_for_every_pool_on_the_days_both_cover() -> None:
    everyone = Season("high", date(2030, 1, 1), date(2030, 1, 31), 12_000)
    mine = Season("suite week", date(2030, 1, 3), date(2030, 1, 5), 20_000, (POOL,))
    found = price(PriceRules(seasons=(everyone, mine)), [night(FRIDAY), night(FRIDAY, pool=OTHER)])
    assert [(line.label, line.amount) for line in found.lines if line.kind is LineKind.SEASON] == [
        ("suite week", 10_000),
        ("high", 2_000),
    ]


def test_seasons_of_one_scope_may_not_overlap() -> None:
    first = Season("a", date(2030, 1, 1), date(2030, 1, 10), 1)
    with pytest.raises(SeasonsOverlapError) as raised:
        PriceRules(seasons=(first, Season("b", date(2030, 1, 10), date(2030, 1, 20), 2)))
    assert raised.value.code == "seasons_overlap"
    with pytest.raises(SeasonsOverlapError):
        PriceRules(seasons=(Season("a", FRIDAY, FRIDAY, 1, (POOL,)), Season("b", FRIDAY, FRIDAY, 2, (OTHER, POOL))))
    PriceRules(seasons=(first, Season("c", date(2030, 1, 11), date(2030, 1, 20), 2)))  # touching is fine


def test_the_longest_stay_discount_reached_applies_to_nights_only() -> None:
    rules = PriceRules(stay_discounts=(StayDiscount(2, 500), StayDiscount(3, 1_000), StayDiscount(7, 2_000)))
    nights = [night(date(2030, 1, day), pool=uuid4()) for day in (3, 4, 5)]
    zone = PricedUnit(uuid4(), "zone", 1, 10_000, FRIDAY, False)
    found = price(rules, [*nights, zone])
    assert [line.amount for line in found.lines if line.kind is LineKind.DISCOUNT] == [-1_000, -1_000, -1_000]
    # Two rooms on the same night are a one-night stay.
    assert price(rules, [night(FRIDAY), night(FRIDAY, pool=OTHER)]).total == 20_000


def test_weekday_rates_fees_per_unit_and_taxes() -> None:
    rules = PriceRules(
        weekday_rates=(WeekdayRate("weekend", (4, 5), -2_500),),
        fees=(Fee("cleaning", ChargeKind.FIXED, 300, Per.UNIT), Fee("service", ChargeKind.PERCENT, 1_000)),
        taxes=(Tax("city", ChargeKind.FIXED, 100), Tax("vat", ChargeKind.PERCENT, 2_000, inclusive=True)),
    )
    found = price(rules, [night(FRIDAY, quantity=2)])
    assert [(line.kind.value, line.amount) for line in found.lines] == [
        ("base", 20_000),
        ("weekday", -5_000),
        ("fee", 600),  # 300 a unit, 2 units
        ("fee", 1_500),  # 10 % of 15,000
        ("tax", 100),
        ("tax", 2_850),  # 17,100 - 17,100 / 1.2
    ]
    assert (found.subtotal, found.tax, found.included_tax, found.total) == (17_100, 100, 2_850, 17_200)


@pytest.mark.parametrize(
    "bad",
    [
        {"stay_discounts": [{"min_nights": 7, "percent_bp": 10_001}]},
        {"stay_discounts": [{"min_nights": 0, "percent_bp": 100}]},
        {"weekday_rates": [{"name": "w", "weekdays": ["fri"], "adjust_bp": -10_001}]},
        {"weekday_rates": [{"name": "w", "weekdays": ["funday"], "adjust_bp": 1}]},
        {"fees": [{"name": "f", "kind": "percent", "value": 10_001}]},
        {"fees": [{"name": "f", "kind": "percent", "value": 100, "per": "unit"}]},
        {"taxes": [{"name": "t", "kind": "fixed", "value": -1}]},
        {"seasons": [{"name": "s", "starts_on": "2030-01-02", "ends_on": "2030-01-01", "unit_price": 1}]},
        {
            "weekday_rates": [
                {"name": "a", "weekdays": ["sat"], "adjust_bp": 1},
                {"name": "b", "weekdays": ["sat"], "adjust_bp": 2},
            ]
        },
    ],
)
def test_bad_rules_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError) as raised:
        rules_from_dict(bad)
    assert raised.value.code == "validation_failed"
