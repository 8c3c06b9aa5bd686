"""React to the payment gateway's events: captures, failures, refunds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid5

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.payments import GatewayEvent, IntentStatus, PaymentGateway, PaymentIntent, RefundStatus
from application.ports.payments import Refund as GatewayRefund
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.booked_holds import HOLD_GONE
from application.use_cases.payment_records import record_capture, record_refund
from application.use_cases.refunds import execute_refund
from domain.bookings import AWAITING_PAYMENT, Booking, BookingStatus
from domain.disputes import Dispute
from domain.errors import HoldExpiredError, HoldNotActiveError, InsufficientInventoryError
from domain.events import BookingDisputed
from domain.inventory import Hold, HoldStatus
from domain.money import Money
from domain.refunds import Refund, RefundState, outstanding

ACTOR = "payment-gateway"
INTENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"})
REFUND_EVENTS = frozenset({"charge.refunded", "charge.refund.updated"})
DISPUTE_EVENTS = frozenset({"charge.dispute.created"})
HANDLED_EVENTS = INTENT_EVENTS | REFUND_EVENTS | DISPUTE_EVENTS
ENDED_UNPAID = frozenset({BookingStatus.CANCELLED, BookingStatus.EXPIRED})


class HandlePaymentEventHandler:
    """Events are hints, delivered at least once and in any order: the handler re-reads the
    PaymentIntent (or its refunds) from the gateway and moves the booking forward only.

    * a captured payment confirms a booking awaiting payment; if its hold expired meanwhile,
      the units are taken again when still free, and otherwise the payment is refunded in
      full and the booking ends ``expired`` with the refund recorded;
    * a failed attempt (the intent carries its error) marks the booking ``payment_failed``; the
      hold stays until it expires. An intent merely waiting for a payment method was never
      tried: nothing failed;
    * a hint whose re-read finds nothing new (the same failure, a payment recorded already)
      changes nothing: no transition, no version, no event;
    * refunds seen at the gateway are recorded once each (our own and the dashboard's).
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, clock: Clock, gateway: PaymentGateway) -> None:
        self._uow, self._engine, self._clock, self._gateway = uow, engine, clock, gateway

    def accepts(self, event_type: str) -> bool:
        return event_type in HANDLED_EVENTS

    async def handle(self, event: GatewayEvent) -> None:
        if event.type in INTENT_EVENTS:
            await self.sync_intent(str(event.object["id"]))
        elif event.type in REFUND_EVENTS:
            intent_id = event.object.get("payment_intent")
            if intent_id:
                await self.sync_refunds(str(intent_id))
        elif event.type in DISPUTE_EVENTS:
            await self.record_dispute(event.object)

    async def sync_intent(self, intent_id: str) -> None:
        intent = await self._gateway.retrieve_intent(intent_id)
        async with self._uow() as uow:
            booking = await uow.bookings.get_by_intent(intent_id)
        if booking is None:
            return  # not ours
        if intent.status is IntentStatus.SUCCEEDED:
            await self._captured(booking.id, booking.tenant_id, intent)
        elif booking.status in AWAITING_PAYMENT and _attempt_failed(intent):
            await self._failed(booking.tenant_id, booking.id, intent.last_error or "payment failed")

    async def stop_payment(self, booking: Booking, why: str) -> bool:
        """Cancel the booking's PaymentIntent before the booking ends unpaid; True when stopped.

        If it was paid in the meantime, the payment is taken into account instead (False).
        ``why`` names the operation in the idempotency key (``cancel``, ``expire``).
        """
        assert booking.payment is not None
        intent = await self._gateway.retrieve_intent(booking.payment.intent_id)
        if intent.status is IntentStatus.SUCCEEDED:
            await self.sync_intent(intent.id)
            return False
        if intent.status is not IntentStatus.CANCELED:
            await self._gateway.cancel_intent(intent.id, idempotency_key=f"{why}:{booking.id}")
        return True

    async def _captured(self, booking_id: UUID, tenant_id: UUID, intent: PaymentIntent) -> None:
        fee = await self._gateway.fee(intent.id)
        async with self._uow() as uow:
            booking = await uow.bookings.get(tenant_id, booking_id, lock=True)
            assert booking.payment is not None
            now, changed, before = self._clock.now(), True, {"status": booking.status}
            if booking.status in AWAITING_PAYMENT:
                hold_id = await self._sell(uow, booking)
                if hold_id is None:
                    booking.record_unsold_capture(intent.amount_received)
                    booking.expire(now, ACTOR, "paid after the hold expired and its units were sold")
                else:
                    booking.confirm_payment(intent.amount_received, now, ACTOR, hold_id=hold_id)
                    await uow.pools.record_sold([(line.pool_id, line.quantity) for line in booking.lines])
            elif booking.payment.captured == 0 and booking.status in ENDED_UNPAID:
                hold_id = None  # paid after it was cancelled or expired: the money goes back
                booking.record_unsold_capture(intent.amount_received)
            else:  # recorded already: never twice, never backwards; but finish a refund owed
                hold_id, changed = (None if _owes_refund(booking) else booking.hold_id), False
            if changed:
                await uow.bookings.save(booking)
                await record_capture(uow, booking, fee, now)
                after = {"status": booking.status, "captured": intent.amount_received}
                await uow.audit.record(
                    "booking.payment_capture", "booking", booking.id, before=before, after=after, tenant_id=tenant_id
                )
                await uow.commit()
        if hold_id is None:  # after the unit of work: SQLite has one writer
            await self._refund_unsold_payment(tenant_id, booking_id)

    async def _sell(self, uow: UnitOfWork, booking: Booking) -> UUID | None:
        """Confirm the booking's hold; if it expired, hold the same units again if still free. A
        hold the engine lost (``booked_holds``) counts as expired and cannot be taken again: None,
        and the payment is given back."""
        now = self._clock.now()
        try:
            return (await self._engine.confirm(booking.hold_id, now)).id
        except (HoldExpiredError, HoldNotActiveError, HOLD_GONE):  # lost with the engine's state: expired
            pass
        hold = await self._engine.get_hold(booking.hold_id)
        if hold is None:
            return None
        late = replace(hold, id=uuid5(hold.id, "late-payment"), created_at=now, expires_at=now + timedelta(minutes=1))
        try:
            await self._engine.place_hold(_active(late), customer_limit=None)
            return (await self._engine.confirm(late.id, now)).id
        except (InsufficientInventoryError, HoldExpiredError, HoldNotActiveError):
            return None

    async def _refund_unsold_payment(self, tenant_id: UUID, booking_id: UUID) -> None:
        """Give back a payment that sold nothing. A refund recorded earlier whose gateway call
        failed is asked for again under its own idempotency key, so it can never be paid twice."""
        async with self._uow() as uow:
            booking = await uow.bookings.get(tenant_id, booking_id, lock=True)
            refunds = await uow.refunds.for_booking(booking_id)
            requested = [r for r in refunds if r.state is RefundState.REQUESTED]
            if requested:
                refund = requested[0]
            elif (left := booking.refundable - outstanding(refunds)) > 0:
                refund = _new_refund(booking, left, "paid but nothing was sold", self._clock)
                await uow.refunds.add(refund)
                await uow.commit()
            else:
                return
        await execute_refund(self._uow, self._gateway, self._clock, refund, booking)

    async def _failed(self, tenant_id: UUID, booking_id: UUID, error: str) -> None:
        async with self._uow() as uow:
            booking = await uow.bookings.get(tenant_id, booking_id, lock=True)
            if booking.status not in AWAITING_PAYMENT or _known_failure(booking, error):
                return  # moved on, or this very failure is recorded: a hint with nothing new
            before = {"status": booking.status}
            booking.fail_payment(error, self._clock.now(), ACTOR)
            await uow.bookings.save(booking)
            await uow.outbox.add(booking.events)
            after = {"status": booking.status, "error": error}
            await uow.audit.record(
                "booking.payment_fail", "booking", booking.id, before=before, after=after, tenant_id=tenant_id
            )
            await uow.commit()

    async def record_dispute(self, reported: Mapping[str, Any]) -> None:
        """A dispute is recorded as the event reports it (the gateway port reads no disputes),
        once per provider id; its money is settled by the provider's later balance moves."""
        intent_id = reported.get("payment_intent")
        async with self._uow() as uow:
            booking = await uow.bookings.get_by_intent(str(intent_id)) if intent_id else None
            if booking is None:
                return
            now = self._clock.now()
            amount = Money(int(reported.get("amount") or 0), booking.total.currency)
            reason, status = str(reported.get("reason") or "unknown"), str(reported.get("status") or "unknown")
            dispute = Dispute(str(reported["id"]), booking.tenant_id, booking.id, amount, reason, status, now)
            if await uow.disputes.add(dispute):
                event = BookingDisputed(booking.id, booking.tenant_id, booking.hold_id, now, dispute.gateway_dispute_id)
                await uow.outbox.add([event])
                after = {
                    "dispute_id": dispute.gateway_dispute_id,
                    "amount": amount.amount,
                    "reason": reason,
                    "status": status,
                }
                await uow.audit.record(
                    "booking.dispute", "booking", booking.id, after=after, tenant_id=booking.tenant_id
                )
            await uow.commit()

    async def sync_refunds(self, intent_id: str) -> None:
        """Record every refund of the intent the gateway settled and we have not: a succeeded one
        is counted once (ours, or one made at the provider's dashboard); one of ours that failed
        there no longer reserves anything."""
        for found in await self._gateway.list_refunds(intent_id):
            if found.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.CANCELED):
                await self._record_gateway_refund(intent_id, found)

    async def _record_gateway_refund(self, intent_id: str, found: GatewayRefund) -> None:
        async with self._uow() as uow:
            booking = await uow.bookings.get_by_intent(intent_id, lock=True)
            if booking is None:
                return
            refund = await uow.refunds.by_gateway_id(found.id) or await _requested_for(uow, booking.id, found)
            if found.status is RefundStatus.SUCCEEDED:
                await self._succeeded(uow, booking, refund, found)
            elif refund is not None and refund.is_outstanding:  # failed there: it reserves nothing now
                refund.settle(found.id, RefundState.FAILED, self._clock.now())
                await uow.refunds.save(refund)
            await uow.commit()

    async def _succeeded(self, uow: UnitOfWork, booking: Booking, refund: Refund | None, found: GatewayRefund) -> None:
        if refund is not None and refund.state is RefundState.SUCCEEDED:
            return
        now = self._clock.now()
        if refund is None:  # made outside Holdfast (the provider's dashboard)
            refund = _new_refund(booking, found.amount, "refunded at the payment provider", self._clock)
            await uow.refunds.add(refund)
        refund.settle(found.id, RefundState.SUCCEEDED, now)
        booking.record_refund(found.amount, now)
        await uow.refunds.save(refund)
        await uow.bookings.save(booking)
        await record_refund(uow, booking, refund, now)


def _active(hold: Hold) -> Hold:
    return replace(hold, status=HoldStatus.ACTIVE)


def _new_refund(booking: Booking, amount: int, reason: str, clock: Clock) -> Refund:
    now = clock.now()
    refund_id = uuid5(booking.id, f"refund:{reason}:{booking.payment.refunded if booking.payment else 0}")
    return Refund(refund_id, booking.tenant_id, booking.id, Money(amount, booking.total.currency), reason, now, now)


def _attempt_failed(intent: PaymentIntent) -> bool:
    """Waiting for a payment method after a failed attempt; without an error it was never tried."""
    return intent.status is IntentStatus.REQUIRES_PAYMENT_METHOD and intent.last_error is not None


def _known_failure(booking: Booking, error: str) -> bool:
    return (
        booking.status is BookingStatus.PAYMENT_FAILED
        and booking.payment is not None
        and (booking.payment.last_error == error)
    )


def _owes_refund(booking: Booking) -> bool:
    """A payment captured for a booking that ended without ever owning its units."""
    return booking.status in ENDED_UNPAID and not booking.owns_units and booking.refundable > 0


async def _requested_for(uow: UnitOfWork, booking_id: UUID, found: GatewayRefund) -> Refund | None:
    """Our own refund whose gateway id we have not stored yet (the call's answer was lost)."""
    ours = found.metadata.get("refund_id")
    for refund in await uow.refunds.for_booking(booking_id):
        if str(refund.id) == ours:
            return refund
    return None
