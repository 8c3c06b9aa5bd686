"""The steps after a change's new hold is placed: swap, undo, and resume from what is stored.

Shared by the change request, the payment events of a change's difference, and the
``expire_holds`` job, so each step is written once and every caller finishes a change the same
way. Every step reads the change locked and does nothing to a change that is no longer open, so
concurrent callers (a webhook and the job) serialise on the change's row and act once.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.payments import IntentStatus, PaymentGateway, PaymentIntent
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.booked_holds import HOLD_GONE, release_booked_hold
from application.use_cases.refunds import execute_refund, refund_state
from domain import ledger
from domain.booking_changes import BookingChange, ChangeState, apply_swap
from domain.bookings import Booking, BookingStatus, Payment
from domain.errors import DomainError, HoldExpiredError, HoldNotActiveError
from domain.inventory import HoldStatus
from domain.money import Money
from domain.refunds import Refund

ACTOR = "booking-change"
# A change still ``held`` this long after its last step was left behind by a crash: its request
# would have moved it on within its own steps (a hold, a row, a swap or an intent).
RESUME_AFTER = timedelta(seconds=30)


class CannotSwapError(Exception):
    """The change's new hold can no longer be sold (it expired or was released), or the
    booking moved on (cancelled): the change is undone instead."""


class BookingChangeSteps:
    """Rules:

    * swap: in one unit of work the new hold is confirmed, the old one cancelled (the engine
      gives the old units back last, just before the commit, as a cancellation does), the
      record's sold units move, the booking takes the new listing, lines and total, and the
      change ends ``swapped``. A higher total's paid difference is posted captured and earned;
      a lower total's difference is recorded as a ``requested`` refund in the same unit of
      work, then asked of the gateway under the refund's own key (exactly once; the
      ``retry_refunds`` job finishes one the gateway did not answer);
    * undo: the new hold is released (an expired or lost one holds nothing) and the change ends
      ``failed``; the booking was never touched;
    * resume: a change whose new hold the engine has confirmed is always swapped (rolled
      forward: the old units may already be back); a held change of an equal or lower total
      is swapped while its hold is active; a change awaiting its payment is settled if paid,
      left while its hold is active, and otherwise its intent is stopped and it is undone;
      anything else is undone.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, clock: Clock, gateway: PaymentGateway) -> None:
        self._uow, self._engine, self._clock, self._gateway = uow, engine, clock, gateway

    async def swap(self, tenant_id: UUID, change_id: UUID, paid: PaymentIntent | None = None) -> BookingChange:
        """Swap, or raise ``CannotSwapError`` (nothing changed)."""
        async with self._uow() as uow:
            change = await uow.booking_changes.get(tenant_id, change_id, lock=True)
            if not change.is_open:
                return change
            booking = await uow.bookings.get(tenant_id, change.booking_id, lock=True)
            if booking.status is not BookingStatus.CONFIRMED or booking.hold_id != change.old_hold_id:
                raise CannotSwapError(f"booking {booking.id} moved on")
            now = self._clock.now()
            try:
                await self._engine.confirm(change.new_hold_id, now)
            except (HoldExpiredError, HoldNotActiveError, HOLD_GONE) as exc:
                raise CannotSwapError(str(exc)) from exc
            refund = await self._record_swap(uow, change, booking, paid)
            await self._engine.cancel(change.old_hold_id)  # last: see the rules
            await uow.commit()
        if refund is not None:
            # Committed: an error answer would say the change did not happen. A refund the
            # gateway did not answer stays requested for the retry_refunds job.
            with suppress(DomainError):
                await execute_refund(self._uow, self._gateway, self._clock, refund, booking, fresh=True)
        return change

    async def _record_swap(
        self, uow: UnitOfWork, change: BookingChange, booking: Booking, paid: PaymentIntent | None
    ) -> Refund | None:
        now, before = self._clock.now(), _terms(booking)
        await uow.pools.record_sold(
            [(line.pool_id, line.quantity) for line in change.new_lines]
            + [(line.pool_id, -line.quantity) for line in change.old_lines]
        )
        captured = paid.amount_received if paid is not None else 0
        apply_swap(booking, change, now, captured)
        await uow.bookings.save(booking)
        await uow.booking_changes.write_terms(booking)
        refund = None
        if paid is not None:
            await self._post_paid_difference(uow, change, booking, paid)
        elif change.difference < 0:
            refund = _refund_of(change, booking, now)
            change.refund_id = refund.id
            await uow.refunds.add(refund)
        change.move_to(ChangeState.SWAPPED, now)
        await uow.booking_changes.save(change)
        after = {**_terms(booking), "change_id": change.id, "difference": change.difference}
        await uow.audit.record("booking.change", "booking", booking.id, before=before, after=after)
        return refund

    async def _post_paid_difference(
        self, uow: UnitOfWork, change: BookingChange, booking: Booking, paid: PaymentIntent
    ) -> None:
        """Captured and earned at once (the swap is the confirmation), and Stripe's fee."""
        now, currency, tenant = self._clock.now(), booking.total.currency, booking.tenant_id
        amount = Money(paid.amount_received, currency)
        await uow.ledger.append(ledger.payment_captured(tenant, booking.id, paid.id, amount, at=now))
        await uow.ledger.append(ledger.booking_confirmed(tenant, booking.id, paid.id, amount, at=now))
        fee = await self._gateway.fee(paid.id)
        if fee:
            await uow.ledger.append(ledger.fee_charged(tenant, booking.id, paid.id, Money(fee, currency), at=now))

    async def undo(self, tenant_id: UUID, change_id: UUID, reason: str) -> BookingChange:
        async with self._uow() as uow:
            change = await uow.booking_changes.get(tenant_id, change_id, lock=True)
            if not change.is_open:
                return change
            now = self._clock.now()
            await release_booked_hold(self._engine, change.new_hold_id, now)
            change.move_to(ChangeState.FAILED, now, reason)
            await uow.booking_changes.save(change)
            after = {"change_id": change.id, "state": change.state, "reason": reason}
            await uow.audit.record(
                "booking.change_fail", "booking", change.booking_id, after=after, tenant_id=tenant_id
            )
            await uow.commit()
        return change

    async def settle_paid(self, change: BookingChange, intent: PaymentIntent) -> BookingChange:
        """The difference was captured: swap; if the new hold can no longer be sold, the payment
        goes back (``payment_returned``) and the change is undone."""
        try:
            return await self.swap(change.tenant_id, change.id, paid=intent)
        except CannotSwapError as exc:
            await self._return_payment(change, intent)
            return await self.undo(change.tenant_id, change.id, f"paid too late: {exc}")

    async def _return_payment(self, change: BookingChange, intent: PaymentIntent) -> None:
        """Refund the change's own intent in full, once: the gateway's refund is looked for first
        (its key is forgotten after a day), and both postings carry unique references."""
        made = [r for r in await self._gateway.list_refunds(intent.id) if r.metadata.get("change_id") == str(change.id)]
        answer = (
            made[0]
            if made
            else await self._gateway.refund(
                intent.id,
                amount=intent.amount_received,
                metadata={"change_id": str(change.id), "booking_id": str(change.booking_id)},
                idempotency_key=f"booking-change-return:{change.id}",
            )
        )
        async with self._uow() as uow:
            booking = await uow.bookings.get(change.tenant_id, change.booking_id, lock=True)
            now, tenant, amount = (
                self._clock.now(),
                change.tenant_id,
                Money(intent.amount_received, booking.total.currency),
            )
            if await uow.ledger.append(ledger.payment_captured(tenant, booking.id, intent.id, amount, at=now)):
                await uow.ledger.append(ledger.payment_returned(tenant, booking.id, answer.id, amount, at=now))
                if booking.payment is None:  # a free booking: the change's intent is its only payment
                    booking.payment = Payment(intent.id, change.client_secret, due_at=change.due_at)
                booking.payment.captured += amount.amount  # the booking's money agrees with its ledger
                booking.payment.refunded += amount.amount
                booking.updated_at, booking.version = now, booking.version + 1
                await uow.bookings.save(booking)
                # Recorded as a refund too: listed with the booking's, and the provider's refund
                # webhook finds it by its id instead of taking it for one made at the dashboard.
                refund = Refund(
                    BookingChange.refund_id_for(change.id),
                    tenant,
                    booking.id,
                    amount,
                    "booking change paid too late",
                    now,
                    now,
                )
                refund.settle(answer.id, refund_state(answer.status), now)
                await uow.refunds.add(refund)
            await uow.commit()

    def left_behind(self, change: BookingChange) -> bool:
        """Open and to be resumed now: held since ``RESUME_AFTER``, or unpaid past its due time."""
        now = self._clock.now()
        if change.state is ChangeState.HELD:
            return change.updated_at <= now - RESUME_AFTER
        return change.state is ChangeState.AWAITING_PAYMENT and change.due_at <= now

    async def resume(self, change: BookingChange) -> BookingChange:
        """Finish or undo an open change from what the engine and the gateway say now."""
        if not change.is_open:
            return change
        hold = await self._hold_status(change)
        try:
            if hold is HoldStatus.CONFIRMED:
                return await self.swap(change.tenant_id, change.id)
            if change.state is ChangeState.AWAITING_PAYMENT:
                return await self._resume_payment(change, hold)
            if hold is HoldStatus.ACTIVE and change.difference <= 0:
                return await self.swap(change.tenant_id, change.id)
        except CannotSwapError as exc:
            return await self.undo(change.tenant_id, change.id, str(exc))
        return await self.undo(change.tenant_id, change.id, "interrupted before it was swapped")

    async def _resume_payment(self, change: BookingChange, hold: HoldStatus | None) -> BookingChange:
        assert change.intent_id is not None
        intent = await self._gateway.retrieve_intent(change.intent_id)
        if intent.status is IntentStatus.SUCCEEDED:
            return await self.settle_paid(change, intent)
        if hold is HoldStatus.ACTIVE:
            return change  # still the customer's to pay
        if intent.status is not IntentStatus.CANCELED:
            intent = await self._gateway.cancel_intent(intent.id, idempotency_key=f"booking-change-expire:{change.id}")
        if intent.status is IntentStatus.SUCCEEDED:  # paid at the last moment
            return await self.settle_paid(change, intent)
        return await self.undo(change.tenant_id, change.id, "the difference was not paid in time")

    async def _hold_status(self, change: BookingChange) -> HoldStatus | None:
        try:
            hold = await self._engine.get_hold(change.new_hold_id)
        except HOLD_GONE:
            return None
        return None if hold is None else hold.status_at(self._clock.now())


def _terms(booking: Booking) -> dict[str, object]:
    return {"hold_id": booking.hold_id, "listing_id": booking.listing_id, "total": booking.total.amount}


def _refund_of(change: BookingChange, booking: Booking, now: datetime) -> Refund:
    money = Money(-change.difference, booking.total.currency)
    reason = f"booking changed ({change.id}): lower total"
    return Refund(BookingChange.refund_id_for(change.id), booking.tenant_id, booking.id, money, reason, now, now)
