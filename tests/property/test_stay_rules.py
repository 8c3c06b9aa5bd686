"""Stay rules against a reference predicate: random rules, random stays, random blocks.

The reference counts nights and finds weekdays its own way (walking the days, weekday from the
proleptic ordinal: day 1 was a Monday), and states the rules' order of precedence as a list.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, InvalidValueError
from domain.stays import (
    MAX_STAY_NIGHTS,
    CheckInDayNotAllowedError,
    CheckOutDayNotAllowedError,
    NightsBlockedError,
    Stay,
    StayBlock,
    StayInPastError,
    StayRules,
    StayTooLongError,
    StayTooShortError,
    check_not_blocked,
)
from tests.fakes.clock import FakeClock

TODAY = date(2030, 1, 1)
NOW = FakeClock().now()
IDS = st.uuids()


def _weekday(day: date) -> int:
    return (day.toordinal() - 1) % 7


def _nights(check_in: date, check_out: date) -> list[date]:
    found, day = [], check_in
    while day < check_out:
        found.append(day)
        day += timedelta(days=1)
    return found


def reference(rules: StayRules, check_in: date, check_out: date, today: date) -> type[DomainError] | None:
    """The first rule broken, in the stated order, or None when the stay keeps them all."""
    nights = len(_nights(check_in, check_out))
    broken = [
        (check_in < today, StayInPastError),
        (nights < rules.min_nights, StayTooShortError),
        (nights > rules.max_nights, StayTooLongError),
        (_weekday(check_in) not in rules.check_in_days, CheckInDayNotAllowedError),
        (_weekday(check_out) not in rules.check_out_days, CheckOutDayNotAllowedError),
    ]
    return next((error for is_broken, error in broken if is_broken), None)


weekdays = st.frozensets(st.integers(0, 6), min_size=1)


@st.composite
def stay_rules(draw: st.DrawFn) -> StayRules:
    buffer_days = draw(st.integers(0, 7))
    max_nights = draw(st.integers(1, MAX_STAY_NIGHTS - buffer_days))
    min_nights = draw(st.integers(1, max_nights))
    return StayRules(min_nights, max_nights, buffer_days, draw(weekdays), draw(weekdays))


stays = st.tuples(st.integers(-10, 400), st.integers(1, MAX_STAY_NIGHTS)).map(
    lambda s: (TODAY + timedelta(days=s[0]), TODAY + timedelta(days=s[0] + s[1]))
)


@settings(max_examples=500)
@given(stay_rules(), stays)
def test_a_stay_is_refused_by_exactly_the_first_rule_it_breaks(rules: StayRules, stay: tuple[date, date]) -> None:
    expected = reference(rules, *stay, TODAY)
    if expected is None:
        rules.check(Stay(*stay), TODAY)
        return
    with pytest.raises(DomainError) as refused:
        rules.check(Stay(*stay), TODAY)
    assert type(refused.value) is expected, (rules, stay, refused.value)
    assert refused.value.code != "stay_rule_broken"  # each rule its own code


@given(stay_rules(), stays)
def test_a_stay_holds_its_nights_then_its_buffer_nights_back_to_back(rules: StayRules, stay: tuple[date, date]) -> None:
    nights, buffer = rules.held_nights(Stay(*stay))
    assert nights == _nights(*stay)
    assert buffer == _nights(stay[1], stay[1] + timedelta(days=rules.buffer_days))
    assert len(nights) + len(buffer) <= MAX_STAY_NIGHTS or len(nights) > rules.max_nights  # one hold's lines


@given(st.integers(-5, 5), st.integers(-60, 60))
def test_a_stay_is_one_night_or_more_and_at_most_one_holds_lines(start: int, length: int) -> None:
    check_in = TODAY + timedelta(days=start)
    check_out = check_in + timedelta(days=length)
    if 1 <= length <= MAX_STAY_NIGHTS:
        assert Stay(check_in, check_out).nights == length
    else:
        with pytest.raises(InvalidValueError):
            Stay(check_in, check_out)


@st.composite
def blocks(draw: st.DrawFn) -> list[StayBlock]:
    found = []
    for _ in range(draw(st.integers(0, 4))):
        start = TODAY + timedelta(days=draw(st.integers(0, 20)))
        end = start + timedelta(days=draw(st.integers(1, 6)))
        found.append(
            StayBlock(draw(IDS), draw(IDS), draw(IDS), draw(IDS), start, end, draw(st.integers(1, 3)), "", NOW)
        )
    return found


@given(blocks(), st.integers(0, 20), st.integers(1, 8), st.integers(1, 4))
def test_a_stay_meets_a_block_exactly_when_a_night_has_every_unit_blocked(
    found: list[StayBlock], start: int, length: int, units: int
) -> None:
    nights = _nights(TODAY + timedelta(days=start), TODAY + timedelta(days=start + length))
    shut = [n for n in nights if sum(b.units for b in found if b.start <= n < b.end) >= units]
    if not shut:
        check_not_blocked(nights, found, units)
        return
    with pytest.raises(NightsBlockedError) as refused:
        check_not_blocked(nights, found, units)
    assert refused.value.nights == shut
