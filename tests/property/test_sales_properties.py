"""Sales per listing and day (``domain.sales``) add up to the ledger: for any postings of any
kind, with reversals, over any days and listings, the rows' gross, refunds and fees summed over
days and listings equal the ``revenue``, ``refunds`` and ``stripe_fees`` balances that the
ledger's own read model (``balances_of``) computes, per currency; per listing the totals are
the sums of that listing's days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.ledger import (
    AccountKind,
    LedgerTransaction,
    booking_confirmed,
    fee_charged,
    payment_captured,
    payment_returned,
    refund_recorded,
    reversal_of,
)
from domain.ledger_views import balances_of
from domain.money import Money
from domain.sales import LedgerMovement, UnitsSold, sales_by_day, totals_by_listing

RULES = [payment_captured, booking_confirmed, refund_recorded, payment_returned, fee_charged]
START = datetime(2030, 1, 1, tzinfo=UTC)
TENANT = UUID("00000000-0000-0000-0000-00000000000a")
LISTINGS = [UUID(int=n) for n in range(1, 4)]
COLUMNS = {AccountKind.REVENUE: "gross", AccountKind.REFUNDS: "refunds", AccountKind.STRIPE_FEES: "fees"}

posting = st.tuples(
    st.integers(0, len(RULES) - 1),  # the rule
    st.integers(0, len(LISTINGS) - 1),  # the booking's listing
    st.integers(1, 50_000),  # the amount
    st.sampled_from(["EUR", "USD"]),
    st.integers(0, 5 * 24 * 3600),  # seconds after START: several days
    st.booleans(),  # reversed later
)


def _movements(transactions: list[tuple[LedgerTransaction, UUID]]) -> list[LedgerMovement]:
    """What the store hands the report: every entry of a booking's transaction, with its listing."""
    return [
        LedgerMovement(listing, tx.created_at, e.account.kind, e.side, e.amount.amount, e.amount.currency)
        for tx, listing in transactions
        for e in tx.entries
        if e.account.kind in COLUMNS
    ]


@given(st.lists(posting, max_size=40), st.lists(st.tuples(st.integers(0, 2), st.integers(1, 9)), max_size=10))
def test_rows_add_up_to_the_ledger_balances(postings: list[tuple[int, int, int, str, int, bool]],
                                            sales: list[tuple[int, int]]) -> None:  # fmt: skip
    transactions: list[tuple[LedgerTransaction, UUID]] = []
    for n, (rule, listing, amount, currency, seconds, reversed_) in enumerate(postings):
        at = START + timedelta(seconds=seconds)
        tx = RULES[rule](TENANT, uuid4(), f"ref-{n}", Money(amount, currency), at=at)
        transactions.append((tx, LISTINGS[listing]))
        if reversed_:
            transactions.append((reversal_of(tx, at=at + timedelta(hours=30)), LISTINGS[listing]))
    sold = [UnitsSold(LISTINGS[listing], START, units, "EUR") for listing, units in sales]

    rows = sales_by_day(_movements(transactions), sold)

    for balance in balances_of(tx for tx, _ in transactions):
        column = COLUMNS.get(balance.account.kind)
        if column is not None:
            reported = sum(getattr(row, column) for row in rows if row.currency == balance.currency)
            assert reported == balance.balance, (column, balance.currency)
    assert sum(row.units for row in rows) == sum(units for _, units in sales)
    assert all(row.net == row.gross - row.refunds - row.fees for row in rows)
    assert len({(row.day, row.listing_id, row.currency) for row in rows}) == len(rows)
    totals = totals_by_listing(rows)
    for total in totals:
        days = [r for r in rows if (r.listing_id, r.currency) == (total.listing_id, total.currency)]
        assert (total.units, total.gross, total.refunds, total.fees) == tuple(
            sum(getattr(r, name) for r in days) for name in ("units", "gross", "refunds", "fees")
        )
