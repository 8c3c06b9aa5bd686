"""The ledger: double-entry, append-only, in integer minor units per currency.

Every account belongs to one tenant, so each tenant's books balance on their own; the platform's
Stripe balance is the sum of the tenants' ``stripe_clearing`` accounts.

=====================  ==============  ======  ==================================================
account                nature          normal  its balance is
=====================  ==============  ======  ==================================================
``stripe_clearing``    asset           debit   money Stripe holds for the tenant
``payments_in_flight`` liability       credit  customers' money captured for bookings not yet
                                               confirmed: owed back if the booking never happens
``revenue``            income          credit  what confirmed bookings earned
``refunds``            contra-revenue  debit   earned revenue given back to customers
``stripe_fees``        expense         debit   what Stripe kept for itself
=====================  ==============  ======  ==================================================

Posting rules, pure functions at the end of this module, each one transaction of two equal entries:

* ``payment_captured``: Dr stripe_clearing, Cr payments_in_flight. The money arrived, but is not
  earned until the booking is confirmed (a payment may outlive its hold).
* ``booking_confirmed``: Dr payments_in_flight, Cr revenue. Confirmation earns it.
* ``refund_recorded``: Dr refunds, Cr stripe_clearing. Earned money goes back out of Stripe;
  revenue itself is never debited, so gross sales and refunds stay visible apart.
* ``payment_returned``: Dr payments_in_flight, Cr stripe_clearing. A payment that never became
  revenue (it came after its hold expired and the units were gone) is refunded.
* ``fee_charged``: Dr stripe_fees, Cr stripe_clearing. Stripe keeps its fee from the balance.

Nothing is ever edited or deleted: a mistake is corrected by ``reversal_of`` the transaction,
which flips every entry. Balances are reported on each account's normal side, so they are
positive in ordinary operation. Each transaction has an external reference (``pi_123:captured``,
``re_456``) that the store keeps unique: posting the same fact twice is a no-op.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from domain.errors import InvalidValueError
from domain.money import Money

MAX_REFERENCE_LENGTH = 255
_LEDGER_NAMESPACE = UUID("5b1c7a2e-55a4-4c2f-9d0e-6f1f3c7e8a90")


class Side(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


class AccountKind(enum.StrEnum):
    STRIPE_CLEARING = "stripe_clearing"
    PAYMENTS_IN_FLIGHT = "payments_in_flight"
    REVENUE = "revenue"
    REFUNDS = "refunds"
    STRIPE_FEES = "stripe_fees"

    @property
    def normal_side(self) -> Side:
        """The side that increases the account: assets and expenses debit, the rest credit."""
        return _NORMAL_SIDE[self]


_NORMAL_SIDE = {
    AccountKind.STRIPE_CLEARING: Side.DEBIT,
    AccountKind.PAYMENTS_IN_FLIGHT: Side.CREDIT,
    AccountKind.REVENUE: Side.CREDIT,
    AccountKind.REFUNDS: Side.DEBIT,
    AccountKind.STRIPE_FEES: Side.DEBIT,
}


class TransactionKind(enum.StrEnum):
    PAYMENT_CAPTURED = "payment_captured"
    BOOKING_CONFIRMED = "booking_confirmed"
    REFUND_RECORDED = "refund_recorded"
    PAYMENT_RETURNED = "payment_returned"
    FEE_CHARGED = "fee_charged"


@dataclass(frozen=True, slots=True, order=True)
class Account:
    """One tenant's account of one kind."""

    kind: AccountKind
    tenant_id: UUID


@dataclass(frozen=True, slots=True)
class Entry:
    """One leg of a transaction: a positive amount on one side of one account."""

    account: Account
    side: Side
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise InvalidValueError("amount", "a ledger entry moves a positive number of minor units")

    def flipped(self) -> Entry:
        return Entry(self.account, self.side.opposite, self.amount)

    @property
    def signed(self) -> int:
        """Debits count positive and credits negative: a balanced transaction sums to zero."""
        return self.amount.amount if self.side is Side.DEBIT else -self.amount.amount


@dataclass(frozen=True, slots=True)
class LedgerTransaction:
    """Entries that move money together; it cannot exist unless debits equal credits per currency."""

    id: UUID
    tenant_id: UUID
    booking_id: UUID | None
    kind: TransactionKind
    external_reference: str
    created_at: datetime
    entries: tuple[Entry, ...]
    reverses: UUID | None = None  # the transaction this one corrects

    def __post_init__(self) -> None:
        if not 0 < len(self.external_reference) <= MAX_REFERENCE_LENGTH:
            raise InvalidValueError("external_reference", f"must have 1 to {MAX_REFERENCE_LENGTH} characters")
        if self.created_at.tzinfo is None:
            raise InvalidValueError("created_at", "must be timezone-aware")
        if len(self.entries) < 2:
            raise InvalidValueError("entries", "a transaction needs at least one debit and one credit")
        if any(entry.account.tenant_id != self.tenant_id for entry in self.entries):
            raise InvalidValueError("entries", "every account must belong to the transaction's tenant")
        unbalanced = sorted(currency for currency, total in net_by_currency(self.entries).items() if total)
        if unbalanced:
            raise InvalidValueError("entries", f"unbalanced: debits differ from credits in {', '.join(unbalanced)}")

    def amounts(self) -> dict[str, int]:
        """What the transaction moves per currency: the sum of its debits (equal to its credits)."""
        moved: dict[str, int] = {}
        for entry in self.entries:
            if entry.side is Side.DEBIT:
                moved[entry.amount.currency] = moved.get(entry.amount.currency, 0) + entry.amount.amount
        return moved


def net_by_currency(entries: Iterable[Entry]) -> dict[str, int]:
    """Debits minus credits per currency; zero everywhere for balanced books."""
    net: dict[str, int] = {}
    for entry in entries:
        net[entry.amount.currency] = net.get(entry.amount.currency, 0) + entry.signed
    return net


def transaction_id(external_reference: str) -> UUID:
    """The same fact always gets the same id, so a retried posting cannot mint a second one."""
    return uuid5(_LEDGER_NAMESPACE, external_reference)


def reversal_of(original: LedgerTransaction, *, at: datetime) -> LedgerTransaction:
    """The correction of ``original``: every entry flipped, so the two net to zero.

    Its reference derives from the original's, so a transaction is reversed at most once.
    """
    reference = f"{original.external_reference}:reversal"
    return LedgerTransaction(
        id=transaction_id(reference),
        tenant_id=original.tenant_id,
        booking_id=original.booking_id,
        kind=original.kind,
        external_reference=reference,
        created_at=at,
        entries=tuple(entry.flipped() for entry in original.entries),
        reverses=original.id,
    )


def payment_captured(
    tenant_id: UUID, booking_id: UUID, intent_id: str, amount: Money, *, at: datetime
) -> LedgerTransaction:
    """Stripe captured a PaymentIntent: Dr stripe_clearing, Cr payments_in_flight."""
    return _moved(TransactionKind.PAYMENT_CAPTURED, tenant_id, booking_id, f"{intent_id}:captured", amount, at)


def booking_confirmed(
    tenant_id: UUID, booking_id: UUID, intent_id: str, amount: Money, *, at: datetime
) -> LedgerTransaction:
    """The booking paid by ``intent_id`` was confirmed: Dr payments_in_flight, Cr revenue."""
    return _moved(TransactionKind.BOOKING_CONFIRMED, tenant_id, booking_id, f"{intent_id}:confirmed", amount, at)


def refund_recorded(
    tenant_id: UUID, booking_id: UUID, refund_id: str, amount: Money, *, at: datetime
) -> LedgerTransaction:
    """A confirmed booking was refunded (in part): Dr refunds, Cr stripe_clearing."""
    return _moved(TransactionKind.REFUND_RECORDED, tenant_id, booking_id, refund_id, amount, at)


def payment_returned(
    tenant_id: UUID, booking_id: UUID, refund_id: str, amount: Money, *, at: datetime
) -> LedgerTransaction:
    """A payment that never became revenue was refunded: Dr payments_in_flight, Cr stripe_clearing.

    It shares its reference with ``refund_recorded``: one Stripe refund is posted one way only.
    """
    return _moved(TransactionKind.PAYMENT_RETURNED, tenant_id, booking_id, refund_id, amount, at)


def fee_charged(tenant_id: UUID, booking_id: UUID, intent_id: str, amount: Money, *, at: datetime) -> LedgerTransaction:
    """Stripe kept its fee for ``intent_id``: Dr stripe_fees, Cr stripe_clearing. A zero fee is not posted."""
    return _moved(TransactionKind.FEE_CHARGED, tenant_id, booking_id, f"{intent_id}:fee", amount, at)


# Which account each kind debits and which it credits (see the table in the module docstring).
POSTINGS: dict[TransactionKind, tuple[AccountKind, AccountKind]] = {
    TransactionKind.PAYMENT_CAPTURED: (AccountKind.STRIPE_CLEARING, AccountKind.PAYMENTS_IN_FLIGHT),
    TransactionKind.BOOKING_CONFIRMED: (AccountKind.PAYMENTS_IN_FLIGHT, AccountKind.REVENUE),
    TransactionKind.REFUND_RECORDED: (AccountKind.REFUNDS, AccountKind.STRIPE_CLEARING),
    TransactionKind.PAYMENT_RETURNED: (AccountKind.PAYMENTS_IN_FLIGHT, AccountKind.STRIPE_CLEARING),
    TransactionKind.FEE_CHARGED: (AccountKind.STRIPE_FEES, AccountKind.STRIPE_CLEARING),
}


def _moved(
    kind: TransactionKind, tenant_id: UUID, booking_id: UUID, reference: str, amount: Money, at: datetime
) -> LedgerTransaction:
    debit, credit = POSTINGS[kind]
    entries = (
        Entry(Account(debit, tenant_id), Side.DEBIT, amount),
        Entry(Account(credit, tenant_id), Side.CREDIT, amount),
    )
    return LedgerTransaction(transaction_id(reference), tenant_id, booking_id, kind, reference, at, entries)
