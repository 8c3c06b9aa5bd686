"""How one booking's money is compared with its PaymentIntent: pure functions, one per question.

Our side is the booking, its refunds and its ledger totals; the gateway's side is the intent,
its refunds and its fee. Every disagreement becomes a ``Finding`` about ``booking:<id>`` with
what we say as ``expected`` and what the gateway says as ``actual``. An amount one side lacks
counts as 0 there, so ``difference`` always says how far apart the two are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from application.ports.payments import IntentStatus, PaymentIntent, RefundStatus
from application.ports.payments import Refund as GatewayRefund
from application.use_cases.refunds import refund_state
from domain.bookings import AWAITING_PAYMENT, Booking, BookingStatus
from domain.ledger_views import BookingTotals
from domain.money import Money
from domain.reconciliation import Finding
from domain.refunds import Refund, RefundState

PAYABLE = frozenset(IntentStatus) - {IntentStatus.SUCCEEDED, IntentStatus.CANCELED}
NO_MONEY = frozenset({RefundStatus.FAILED, RefundStatus.CANCELED})


@dataclass(frozen=True, slots=True)
class OurPayment:
    """What Holdfast recorded for one booking with a PaymentIntent."""

    booking: Booking
    refunds: list[Refund]
    ledger: BookingTotals | None  # in the booking's currency; None when nothing was posted
    # The PaymentIntents of the booking's swapped changes that charged a difference: compared
    # together with the booking's own (``reconcile_payments``).
    change_intents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GatewayPayment:
    """What the gateway says about that booking's PaymentIntent (``intent`` None: unknown there)."""

    intent: PaymentIntent | None
    refunds: list[GatewayRefund]
    fee: int | None


def payment_findings(ours: OurPayment, theirs: GatewayPayment, stuck_before: datetime) -> list[Finding]:
    """Every disagreement; our refunds created before ``stuck_before`` and still unanswered count as stuck."""
    compare = _Comparison(ours, theirs)
    if theirs.intent is None:
        return [compare.unknown_intent()]
    return [
        *compare.status(theirs.intent),
        *compare.price(theirs.intent),
        *compare.captured(theirs.intent),
        *compare.refunds(stuck_before),
        *compare.refunded(),
        *compare.unsold_payment(theirs.intent),
        *compare.fee(theirs.intent),
    ]


def was_paid(booking: Booking) -> bool:
    """Our record says money was captured: a capture is recorded or the booking was confirmed."""
    captured = booking.payment is not None and booking.payment.captured > 0
    return captured or any(t.to_status is BookingStatus.CONFIRMED for t in booking.history)


def expected_intent_statuses(booking: Booking) -> frozenset[IntentStatus]:
    """The intent states our record allows: paid, still payable, or cancelled when it ended unpaid."""
    if was_paid(booking):
        return frozenset({IntentStatus.SUCCEEDED})
    if booking.status in AWAITING_PAYMENT:
        return PAYABLE
    return frozenset({IntentStatus.CANCELED})


class _Comparison:
    def __init__(self, ours: OurPayment, theirs: GatewayPayment) -> None:
        self.ours, self.theirs = ours, theirs
        self.booking = ours.booking
        self.subject = f"booking:{ours.booking.id}"
        self.currency = ours.booking.total.currency
        assert ours.booking.payment is not None
        self.payment = ours.booking.payment
        nothing = Money.zero(self.currency)
        self.ledger = ours.ledger or BookingTotals(nothing, nothing, nothing)

    def unknown_intent(self) -> Finding:
        detail = "the gateway does not know the booking's PaymentIntent"
        return Finding(self.subject, "payment_intent", self.payment.intent_id, None, detail)

    def status(self, intent: PaymentIntent) -> Iterator[Finding]:
        if intent.status in expected_intent_statuses(self.booking):
            return
        if intent.status is IntentStatus.SUCCEEDED:
            detail = "the gateway captured a payment that the booking does not record"
        elif was_paid(self.booking):
            detail = "the booking records a payment that the gateway has not captured"
        else:
            detail = f"the booking is {self.booking.status}, so its PaymentIntent should not be {intent.status}"
        yield Finding(self.subject, "status", self.booking.status.value, intent.status.value, detail)

    def price(self, intent: PaymentIntent) -> Iterator[Finding]:
        if intent.amount != self.booking.total.amount:
            yield self._money("amount", self.booking.total.amount, intent.amount, "the intent is not for the price")
        if intent.currency.upper() != self.currency:
            detail = "the intent is in another currency than the price"
            yield Finding(self.subject, "currency", self.currency, intent.currency.upper(), detail)

    def captured(self, intent: PaymentIntent) -> Iterator[Finding]:
        received = intent.amount_received
        if self.payment.captured != received:
            yield self._money("captured", self.payment.captured, received, "the booking's capture differs")
        ledger = self.ledger.captured.amount
        if ledger != received:
            yield self._money("ledger.captured", ledger, received, "the ledger's capture differs")

    def refunds(self, stuck_before: datetime) -> Iterator[Finding]:
        ours = {r.gateway_refund_id: r for r in self.ours.refunds if r.gateway_refund_id is not None}
        by_our_id = {str(r.id): r for r in self.ours.refunds}
        matched: set[str] = set()
        for found in self.theirs.refunds:
            refund = ours.get(found.id) or by_our_id.get(found.metadata.get("refund_id", ""))
            if refund is not None:
                matched.add(str(refund.id))
                yield from self._same_refund(refund, found)
            elif found.status not in NO_MONEY:
                detail = f"{found.status} at the gateway, not recorded here"
                yield self._money(f"refunds[{found.id}].amount", 0, found.amount, detail)
        for refund in self.ours.refunds:
            if str(refund.id) not in matched:
                yield from self._unknown_there(refund, stuck_before)

    def refunded(self) -> Iterator[Finding]:
        refunded = sum(r.amount for r in self.theirs.refunds if r.status is RefundStatus.SUCCEEDED)
        if self.payment.refunded != refunded:
            yield self._money("refunded", self.payment.refunded, refunded, "the booking's refunded total differs")
        ledger = self.ledger.refunded.amount
        if ledger != refunded:
            yield self._money("ledger.refunded", ledger, refunded, "the ledger's refunded total differs")

    def unsold_payment(self, intent: PaymentIntent) -> Iterator[Finding]:
        """A payment for a booking that ended without ever selling anything is owed back in full."""
        sold = any(t.to_status is BookingStatus.CONFIRMED for t in self.booking.history)
        ended = self.booking.status not in AWAITING_PAYMENT
        in_flight = any(not r.is_final for r in self.ours.refunds)  # reported on their own when stuck
        if intent.status is not IntentStatus.SUCCEEDED or sold or not ended or in_flight:
            return
        returned = sum(r.amount for r in self.theirs.refunds if r.status not in NO_MONEY)
        if returned < intent.amount_received:
            detail = f"paid, yet the booking ended {self.booking.status} without selling, and not refunded"
            yield self._money("unsold_payment.refunded", intent.amount_received, returned, detail)

    def fee(self, intent: PaymentIntent) -> Iterator[Finding]:
        ledger, charged = self.ledger.fees.amount, self.theirs.fee or 0
        if ledger != charged and (intent.status is IntentStatus.SUCCEEDED or ledger):
            yield self._money("ledger.fees", ledger, charged, "the ledger's fee differs from the provider's")

    def _same_refund(self, refund: Refund, found: GatewayRefund) -> Iterator[Finding]:
        if refund.gateway_refund_id not in (None, found.id):
            detail = f"refund {refund.id} is recorded under another gateway id than the one it was made as"
            yield Finding(self.subject, f"refunds[{found.id}].id", refund.gateway_refund_id, found.id, detail)
        if refund.amount.amount != found.amount:
            detail = f"refund {refund.id} is for another amount at the gateway"
            yield self._money(f"refunds[{found.id}].amount", refund.amount.amount, found.amount, detail)
        if refund.state is not refund_state(found.status):
            detail = f"refund {refund.id} is {refund.state} here and {found.status} at the gateway"
            field = f"refunds[{found.id}].status"
            yield Finding(self.subject, field, refund.state.value, found.status.value, detail, currency=self.currency)

    def _unknown_there(self, refund: Refund, stuck_before: datetime) -> Iterator[Finding]:
        if refund.gateway_refund_id is not None:
            detail = f"refund {refund.id} is {refund.state} here, unknown to the gateway"
            yield self._money(f"refunds[{refund.gateway_refund_id}].amount", refund.amount.amount, 0, detail)
        elif refund.state is RefundState.REQUESTED and refund.created_at <= stuck_before:
            detail = (
                f"refund {refund.id} of {refund.amount.amount} {self.currency} requested at "
                f"{refund.created_at.isoformat()} never reached the gateway; the refund retry asks again"
            )
            yield Finding(self.subject, f"refunds[{refund.id}].status", refund.state.value, None, detail)

    def _money(self, field: str, expected: int, actual: int, detail: str) -> Finding:
        return Finding(self.subject, field, expected, actual, detail, expected - actual, self.currency)
