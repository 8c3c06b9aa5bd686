"""The ledger's rules: every posting balances, nothing unbalanced exists, reversals cancel out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.errors import InvalidValueError
from domain.ledger import (
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
    Side,
    TransactionKind,
    booking_confirmed,
    fee_charged,
    net_by_currency,
    payment_captured,
    payment_returned,
    refund_recorded,
    reversal_of,
    transaction_id,
)
from domain.ledger_views import BookingLedger, balances_of
from domain.money import Money

TENANT = UUID("00000000-0000-4000-8000-000000000001")
OTHER = UUID("00000000-0000-4000-8000-000000000002")
BOOKING = UUID("00000000-0000-4000-8000-0000000000b1")
AT = datetime(2030, 1, 1, 12, tzinfo=UTC)
EUR = Money(2500, "EUR")
RULES: list[tuple[Callable[..., LedgerTransaction], str, AccountKind, AccountKind]] = [
    (payment_captured, "pi_1", AccountKind.STRIPE_CLEARING, AccountKind.PAYMENTS_IN_FLIGHT),
    (booking_confirmed, "pi_1", AccountKind.PAYMENTS_IN_FLIGHT, AccountKind.REVENUE),
    (refund_recorded, "re_1", AccountKind.REFUNDS, AccountKind.STRIPE_CLEARING),
    (payment_returned, "re_2", AccountKind.PAYMENTS_IN_FLIGHT, AccountKind.STRIPE_CLEARING),
    (fee_charged, "pi_1", AccountKind.STRIPE_FEES, AccountKind.STRIPE_CLEARING),
]


def _entry(kind: AccountKind, side: Side, amount: int, currency: str = "EUR", tenant: UUID = TENANT) -> Entry:
    return Entry(Account(kind, tenant), side, Money(amount, currency))


def _tx(*entries: Entry, reference: str = "x") -> LedgerTransaction:
    kind = TransactionKind.PAYMENT_CAPTURED
    return LedgerTransaction(transaction_id(reference), TENANT, BOOKING, kind, reference, AT, entries)


@pytest.mark.parametrize(("rule", "reference", "debited", "credited"), RULES)
def test_every_posting_rule_balances_and_moves_the_documented_accounts(
    rule: Callable[..., LedgerTransaction], reference: str, debited: AccountKind, credited: AccountKind
) -> None:
    tx = rule(TENANT, BOOKING, reference, EUR, at=AT)

    assert net_by_currency(tx.entries) == {"EUR": 0}
    assert tx.amounts() == {"EUR": 2500}
    assert [(e.account.kind, e.side) for e in tx.entries] == [(debited, Side.DEBIT), (credited, Side.CREDIT)]
    assert all(e.account.tenant_id == TENANT for e in tx.entries)
    assert (tx.tenant_id, tx.booking_id, tx.created_at, tx.reverses) == (TENANT, BOOKING, AT, None)


def test_references_name_the_stripe_object_and_the_same_fact_gets_the_same_id() -> None:
    references = [rule(TENANT, BOOKING, ref, EUR, at=AT).external_reference for rule, ref, *_ in RULES]
    assert references == ["pi_1:captured", "pi_1:confirmed", "re_1", "re_2", "pi_1:fee"]
    again = payment_captured(TENANT, BOOKING, "pi_1", EUR, at=datetime(2031, 1, 1, tzinfo=UTC))
    assert again.id == payment_captured(TENANT, BOOKING, "pi_1", EUR, at=AT).id


def test_an_unbalanced_transaction_cannot_be_built() -> None:
    with pytest.raises(InvalidValueError, match=r"unbalanced.*EUR"):
        _tx(_entry(AccountKind.STRIPE_CLEARING, Side.DEBIT, 100), _entry(AccountKind.REVENUE, Side.CREDIT, 99))


def test_balance_is_per_currency_not_across_currencies() -> None:
    with pytest.raises(InvalidValueError, match="unbalanced: debits differ from credits in EUR, USD"):
        _tx(
            _entry(AccountKind.STRIPE_CLEARING, Side.DEBIT, 100, "EUR"),
            _entry(AccountKind.REVENUE, Side.CREDIT, 100, "USD"),
        )


def test_a_balanced_transaction_may_span_currencies_and_many_legs() -> None:
    tx = _tx(
        _entry(AccountKind.STRIPE_CLEARING, Side.DEBIT, 100, "EUR"),
        _entry(AccountKind.STRIPE_CLEARING, Side.DEBIT, 70, "USD"),
        _entry(AccountKind.REVENUE, Side.CREDIT, 60, "EUR"),
        _entry(AccountKind.REVENUE, Side.CREDIT, 40, "EUR"),
        _entry(AccountKind.REVENUE, Side.CREDIT, 70, "USD"),
    )
    assert tx.amounts() == {"EUR": 100, "USD": 70}


@pytest.mark.parametrize("amount", [0, -5])
def test_entries_move_positive_amounts_only(amount: int) -> None:
    with pytest.raises(InvalidValueError, match="positive"):
        _entry(AccountKind.REVENUE, Side.CREDIT, amount)
    with pytest.raises(InvalidValueError, match="positive"):
        fee_charged(TENANT, BOOKING, "pi_1", Money(amount, "EUR"), at=AT)


def test_a_transaction_needs_two_legs_a_reference_an_aware_time_and_one_tenant() -> None:
    debit, credit = _entry(AccountKind.STRIPE_CLEARING, Side.DEBIT, 1), _entry(AccountKind.REVENUE, Side.CREDIT, 1)
    kind = TransactionKind.PAYMENT_CAPTURED
    with pytest.raises(InvalidValueError, match="at least one debit"):
        LedgerTransaction(transaction_id("x"), TENANT, BOOKING, kind, "x", AT, ())
    with pytest.raises(InvalidValueError, match="external_reference"):
        LedgerTransaction(transaction_id("x"), TENANT, BOOKING, kind, "", AT, (debit, credit))
    with pytest.raises(InvalidValueError, match="external_reference"):
        LedgerTransaction(transaction_id("x"), TENANT, BOOKING, kind, "r" * 256, AT, (debit, credit))
    with pytest.raises(InvalidValueError, match="timezone"):
        LedgerTransaction(transaction_id("x"), TENANT, BOOKING, kind, "x", datetime(2030, 1, 1), (debit, credit))
    foreign = _entry(AccountKind.REVENUE, Side.CREDIT, 1, tenant=OTHER)
    with pytest.raises(InvalidValueError, match="tenant"):
        LedgerTransaction(transaction_id("x"), TENANT, BOOKING, kind, "x", AT, (debit, foreign))


def test_a_reversal_flips_every_entry_references_the_original_and_nets_to_zero() -> None:
    original = payment_captured(TENANT, BOOKING, "pi_1", EUR, at=AT)
    later = datetime(2030, 1, 2, tzinfo=UTC)

    reversal = reversal_of(original, at=later)

    assert reversal.reverses == original.id
    assert reversal.external_reference == "pi_1:captured:reversal"
    assert reversal.id == transaction_id("pi_1:captured:reversal") != original.id
    assert (reversal.kind, reversal.booking_id, reversal.created_at) == (original.kind, BOOKING, later)
    assert [e.flipped() for e in reversal.entries] == list(original.entries)
    assert net_by_currency(original.entries + reversal.entries) == {"EUR": 0}
    assert all(b.debits == b.credits for b in balances_of([original, reversal]))


def test_balances_are_reported_on_each_accounts_normal_side() -> None:
    txs = [
        payment_captured(TENANT, BOOKING, "pi_1", Money(10_000, "EUR"), at=AT),
        booking_confirmed(TENANT, BOOKING, "pi_1", Money(10_000, "EUR"), at=AT),
        fee_charged(TENANT, BOOKING, "pi_1", Money(320, "EUR"), at=AT),
        refund_recorded(TENANT, BOOKING, "re_1", Money(4_000, "EUR"), at=AT),
    ]

    balances = {b.account.kind: b.balance for b in balances_of(txs)}

    assert balances == {
        AccountKind.STRIPE_CLEARING: 10_000 - 320 - 4_000,
        AccountKind.PAYMENTS_IN_FLIGHT: 0,
        AccountKind.REVENUE: 10_000,
        AccountKind.REFUNDS: 4_000,
        AccountKind.STRIPE_FEES: 320,
    }


def test_booking_totals_count_reversals_against_what_they_correct() -> None:
    captured = payment_captured(TENANT, BOOKING, "pi_1", Money(10_000, "EUR"), at=AT)
    txs = (
        captured,
        booking_confirmed(TENANT, BOOKING, "pi_1", Money(10_000, "EUR"), at=AT),
        fee_charged(TENANT, BOOKING, "pi_1", Money(320, "EUR"), at=AT),
        refund_recorded(TENANT, BOOKING, "re_1", Money(4_000, "EUR"), at=AT),
        payment_captured(TENANT, BOOKING, "pi_2", Money(500, "EUR"), at=AT),
        reversal_of(payment_captured(TENANT, BOOKING, "pi_2", Money(500, "EUR"), at=AT), at=AT),
    )

    totals = BookingLedger(BOOKING, txs).totals()

    assert list(totals) == ["EUR"]
    eur = totals["EUR"]
    assert (eur.captured, eur.refunded, eur.fees) == (Money(10_000, "EUR"), Money(4_000, "EUR"), Money(320, "EUR"))
    assert eur.net == Money(6_000, "EUR")
    assert BookingLedger(BOOKING, ()).totals() == {}
