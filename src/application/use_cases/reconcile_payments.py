"""Compare every booking's payment with the payment gateway, and report where they disagree."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.payments import IntentStatus, PaymentGateway
from application.ports.reconciliation import Progress
from application.ports.repositories import PageRequest, UnitOfWork, UnitOfWorkFactory
from application.use_cases.payment_findings import GatewayPayment, OurPayment, payment_findings
from domain.booking_changes import ChangeState
from domain.bookings import Booking
from domain.errors import NotFoundError
from domain.money import Money
from domain.reconciliation import Finding, ReconciliationScope

_After = tuple[datetime, UUID] | None

BATCH = 100
PROGRESS_EVERY = 20
STUCK_AFTER = timedelta(minutes=15)  # a refund unanswered this long is reported (the retry job had its chances)


class PaymentsReconciler:
    """Rules:

    * every booking in the scope that has a PaymentIntent is compared with the gateway: the
      intent's status against the booking's, its amount and currency against the price, the
      amount received against the booking's and the ledger's captures, each gateway refund
      against our refunds (either side missing, amount or status differing), the total
      refunded against the booking's and the ledger's, the provider's fee against the
      ledger's; our refunds that never reached the gateway are reported once ``stuck_after``
      old, and a payment for a booking that ended unsold and was not given back;
    * it only reads: payments are never repaired by a job, a person decides;
    * a booking that disagrees is read again on both sides before it is reported, so a payment
      or refund that was in flight during the first look is not reported as drift;
    * the gateway being unavailable ends the run (``PaymentProviderUnavailableError``) rather
      than reporting what it could not see; the job runs it again;
    * bookings are read a page at a time, and ``progress`` hears how far along it is.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        clock: Clock,
        *,
        batch: int = BATCH,
        stuck_after: timedelta = STUCK_AFTER,
    ) -> None:
        self._uow, self._gateway, self._clock = uow, gateway, clock
        self._batch, self._stuck_after = batch, stuck_after

    async def __call__(self, scope: ReconciliationScope, progress: Progress) -> list[Finding]:
        async with self._uow() as uow:
            total = await uow.bookings.count_with_payment(scope)
        await progress(0, total)
        findings: list[Finding] = []
        checked, page = 0, PageRequest(limit=self._batch)
        while True:
            ours, after = await self._page(scope, page)
            for record in ours:
                findings += await self._check(record)
                checked += 1
                if checked % PROGRESS_EVERY == 0:
                    await progress(checked, max(total, checked))
            if after is None:
                break
            page = PageRequest(limit=self._batch, after=after)
        await progress(checked, max(total, checked))
        return findings

    async def _page(self, scope: ReconciliationScope, page: PageRequest) -> tuple[list[OurPayment], _After]:
        async with self._uow() as uow:
            found = await uow.bookings.with_payment(scope, page)
            return [await _our_payment(uow, booking) for booking in found.items], found.next_after

    async def _check(self, ours: OurPayment) -> list[Finding]:
        findings = payment_findings(ours, await self._gateway_payment(ours), self._stuck_before())
        if not findings:
            return findings
        booking = ours.booking
        async with self._uow() as uow:  # ours first: the gateway is the one that moves ahead
            again = await _our_payment(uow, await uow.bookings.get(booking.tenant_id, booking.id))
        return payment_findings(again, await self._gateway_payment(again), self._stuck_before())

    async def _gateway_payment(self, ours: OurPayment) -> GatewayPayment:
        assert ours.booking.payment is not None
        intent_id = ours.booking.payment.intent_id
        try:
            intent = await self._gateway.retrieve_intent(intent_id)
        except NotFoundError:
            return GatewayPayment(None, [], None)
        refunds = await self._gateway.list_refunds(intent_id)
        charged = intent.status is IntentStatus.SUCCEEDED or (ours.ledger is not None and ours.ledger.fees.amount > 0)
        fee = await self._gateway.fee(intent_id) if charged else None
        return await self._with_changes(GatewayPayment(intent, refunds, fee), ours.change_intents)

    async def _with_changes(self, main: GatewayPayment, change_intents: tuple[str, ...]) -> GatewayPayment:
        """The booking's payment and its swapped changes' differences as one: amounts, captures
        and fees added up (the booking counts them together, and so does its ledger)."""
        if main.intent is None or not change_intents:
            return main
        intent, refunds, fee = main.intent, list(main.refunds), main.fee
        for change_intent in change_intents:
            paid = await self._gateway.retrieve_intent(change_intent)
            refunds += await self._gateway.list_refunds(change_intent)
            fee = (fee or 0) + (await self._gateway.fee(change_intent) or 0)
            received = intent.amount_received + paid.amount_received
            intent = replace(intent, amount=intent.amount + paid.amount, amount_received=received)
        return GatewayPayment(intent, refunds, fee)

    def _stuck_before(self) -> datetime:
        return self._clock.now() - self._stuck_after


async def _our_payment(uow: UnitOfWork, booking: Booking) -> OurPayment:
    refunds = await uow.refunds.for_booking(booking.id)
    totals = (await uow.ledger.booking_view(booking.tenant_id, booking.id)).totals()
    changes = await uow.booking_changes.for_booking(booking.id)
    paid = [c for c in changes if c.state is ChangeState.SWAPPED and c.intent_id is not None]
    if changes:  # the price its intents were made for: the first one, then each paid difference
        charged = changes[0].old_total.amount + sum(c.difference for c in paid)
        booking = replace(booking, total=Money(charged, booking.total.currency))
    intents = tuple(c.intent_id for c in paid if c.intent_id is not None)
    return OurPayment(booking, refunds, totals.get(booking.total.currency), intents)
