"""Seat maps in the domain: features from the layout, prices, the order seats are picked in,
and what a choice retry may match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.errors import InvalidValueError
from domain.inventory import Hold, HoldLine, check_choice, same_choice_request, with_choice
from domain.seat_maps import Cabin, ListingSeatMap, MappedCabin, MappedSeat, SeatFeature, SeatMap

W, A, X, L = SeatFeature.WINDOW, SeatFeature.AISLE, SeatFeature.EXIT_ROW, SeatFeature.EXTRA_LEGROOM
ECONOMY = Cabin(
    "economy", "Economy", 3, 5, "ABC DEF", 10000,
    exit_rows=(4,), extra_legroom_rows=(4,),
    feature_surcharges=((W, 500), (X, 1500)), row_surcharges=((3, 700),),
)  # fmt: skip


def test_features_come_from_the_layout_and_the_rows() -> None:
    seats = {seat.code: seat for seat in ECONOMY.seats()}

    assert len(seats) == 18
    assert seats["3A"].features == {W}
    assert seats["3C"].features == seats["3D"].features == {A}
    assert seats["3B"].features == set()
    assert seats["4F"].features == {W, X, L}
    assert [seats[code].surcharge for code in ("3A", "3B", "4A", "4B", "5A")] == [1200, 700, 2000, 1500, 500]


def test_a_single_seat_row_is_a_window_and_two_aisles_make_a_middle_block() -> None:
    lone = {seat.code: seat.features for seat in Cabin("solo", "Solo", 1, 1, "A", 0).seats()}
    wide = {seat.code: seat.features for seat in Cabin("wide", "Wide", 1, 1, "AB CDE FG", 0).seats()}

    assert lone == {"1A": {W}}
    assert wide == {"1A": {W}, "1B": {A}, "1C": {A}, "1D": set(), "1E": {A}, "1F": {A}, "1G": {W}}


@pytest.mark.parametrize(
    "changes",
    [
        {"letters": "AB  C"},
        {"letters": " ABC"},
        {"letters": "AAB"},
        {"letters": "abc"},
        {"first_row": 6},
        {"exit_rows": (9,)},
        {"row_surcharges": ((2, 100),)},
        {"code": "Economy"},
        {"price": -1},
    ],
)
def test_a_bad_cabin_is_refused(changes: dict[str, object]) -> None:
    fields = {"code": "economy", "name": "Economy", "first_row": 3, "last_row": 5, "letters": "ABC", "price": 1}
    with pytest.raises(InvalidValueError):
        Cabin(**{**fields, **changes})  # type: ignore[arg-type]


def test_cabins_may_not_share_rows_or_codes() -> None:
    business = Cabin("business", "Business", 1, 3, "AC", 1)
    with pytest.raises(InvalidValueError):
        SeatMap((business, ECONOMY), "EUR")
    with pytest.raises(InvalidValueError):
        SeatMap((ECONOMY, Cabin("economy", "Again", 9, 9, "A", 1)), "EUR")


def _mapped() -> ListingSeatMap:
    seats = tuple(MappedSeat(seat, UUID(int=n)) for n, seat in enumerate(ECONOMY.seats(), 100))
    cabin = MappedCabin("economy", "Economy", 3, 5, "ABC DEF", 10000, "EUR", UUID(int=1))
    return ListingSeatMap(UUID(int=2), (cabin,), seats)


def test_choices_rank_seats_by_preferences_met_then_row_then_letter() -> None:
    seat_map = _mapped()

    def first(**wanted: bool) -> list[str]:
        preferences = {SeatFeature(name): value for name, value in wanted.items()}
        return [m.seat.code for m in seat_map.choices("economy", preferences)][:3]

    assert first() == ["3A", "3B", "3C"]
    assert first(window=True) == ["3A", "3F", "4A"]
    assert first(window=True, exit_row=True) == ["4A", "4F", "3A"]
    assert first(aisle=True, window=False) == ["3C", "3D", "4C"]
    assert first(window=False, aisle=False) == ["3B", "3E", "4B"]


def _hold(*lines: HoldLine) -> Hold:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    return Hold(UUID(int=9), UUID(int=8), UUID(int=2), "ann", lines, "EUR", at, at + timedelta(minutes=5))


def test_a_choice_retry_matches_the_lines_plus_one_candidate() -> None:
    cabin, a, b, c = (
        HoldLine(UUID(int=1), 1, 100),
        HoldLine(UUID(int=3), 1),
        HoldLine(UUID(int=4), 1),
        HoldLine(UUID(int=5), 1),
    )
    asked = _hold(cabin)
    placed = with_choice(asked, b)

    assert same_choice_request(placed, asked, (a, b))
    assert not same_choice_request(placed, asked, (a, c))
    assert not same_choice_request(placed, asked, ())
    assert not same_choice_request(with_choice(placed, c), asked, (a, b, c))


def test_a_choice_names_pools_the_hold_does_not() -> None:
    cabin = HoldLine(UUID(int=1), 1)
    with pytest.raises(InvalidValueError):
        check_choice(_hold(cabin), (cabin,))
    with pytest.raises(InvalidValueError):
        check_choice(_hold(cabin), (HoldLine(UUID(int=3), 1), HoldLine(UUID(int=3), 1)))
    check_choice(_hold(cabin), (HoldLine(UUID(int=3), 1),))
