"""Read models over the ledger: account balances, and what one booking's money did.

Both are derived from the entries alone, so any store that keeps the transactions can answer
them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from domain.ledger import Account, LedgerTransaction, Side, TransactionKind
from domain.money import Money


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """Everything posted to one account in one currency."""

    account: Account
    currency: str
    debits: int
    credits: int

    @property
    def balance(self) -> int:
        """On the account's normal side: positive in ordinary operation, whatever the account."""
        if self.account.kind.normal_side is Side.DEBIT:
            return self.debits - self.credits
        return self.credits - self.debits


# Where each kind of transaction counts in a booking's totals; a confirmation only moves money
# between the tenant's own accounts, so it changes none of them.
_TOTAL_OF: dict[TransactionKind, str] = {
    TransactionKind.PAYMENT_CAPTURED: "captured",
    TransactionKind.REFUND_RECORDED: "refunded",
    TransactionKind.PAYMENT_RETURNED: "refunded",
    TransactionKind.FEE_CHARGED: "fees",
}


@dataclass(frozen=True, slots=True)
class BookingTotals:
    """A booking's money in one currency. ``net`` is what the customer paid and kept paid;
    Stripe's fees are the tenant's cost, reported apart and not taken from it."""

    captured: Money
    refunded: Money
    fees: Money

    @property
    def currency(self) -> str:
        return self.captured.currency

    @property
    def net(self) -> Money:
        return Money(self.captured.amount - self.refunded.amount, self.currency)


@dataclass(frozen=True, slots=True)
class BookingLedger:
    """One booking's transactions, oldest first, and the totals they add up to."""

    booking_id: UUID
    transactions: tuple[LedgerTransaction, ...]

    def totals(self) -> dict[str, BookingTotals]:
        """Per currency; a reversal counts against the kind of transaction it corrects."""
        sums: dict[str, dict[str, int]] = {}
        for tx in self.transactions:
            total = _TOTAL_OF.get(tx.kind)
            sign = -1 if tx.reverses is not None else 1
            for currency, amount in tx.amounts().items():
                per_currency = sums.setdefault(currency, {"captured": 0, "refunded": 0, "fees": 0})
                if total is not None:
                    per_currency[total] += sign * amount
        return {
            currency: BookingTotals(*(Money(found[name], currency) for name in ("captured", "refunded", "fees")))
            for currency, found in sorted(sums.items())
        }


def balances_of(transactions: Iterable[LedgerTransaction]) -> list[AccountBalance]:
    """Debits and credits per account and currency, in a stable order (kind, tenant, currency)."""
    sums: dict[tuple[Account, str], list[int]] = {}
    for tx in transactions:
        for entry in tx.entries:
            pair = sums.setdefault((entry.account, entry.amount.currency), [0, 0])
            pair[0 if entry.side is Side.DEBIT else 1] += entry.amount.amount
    return [AccountBalance(account, currency, *pair) for (account, currency), pair in sorted(sums.items())]
