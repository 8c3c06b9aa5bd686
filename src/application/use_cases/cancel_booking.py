"""Cancel a booking: give its units back and refund what the listing's policy allows."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.payments import PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.booked_holds import release_booked_hold
from application.use_cases.handle_payment_event import HandlePaymentEventHandler
from application.use_cases.refunds import execute_refund
from domain.bookings import AWAITING_PAYMENT, Booking
from domain.errors import DomainError, NotFoundError
from domain.money import Money
from domain.refunds import Refund, outstanding


@dataclass(frozen=True, slots=True)
class CancelBooking:
    tenant_id: UUID
    booking_id: UUID
    actor: str
    reason: str = "cancelled by request"
    customer_ref: str | None = None  # a signed-in customer cancels only its own (else not found)


class CancelBookingHandler:
    """Rules:

    * a booking awaiting payment: its PaymentIntent is cancelled first (if it was paid in the
      meantime, the payment is taken into account and the booking is cancelled as a paid
      one), then its hold is released (a hold the engine lost holds nothing: ``booked_holds``);
    * a confirmed booking: its sold units return to their pools (engine and record, in one
      unit of work) and it is refunded as the listing's cancellation policy says — in full
      until the cut-off, a percentage until the start, nothing after;
    * anything else cannot be cancelled (``InvalidTransitionError``).

    Once committed the cancellation stands, whatever the provider answers for its refund: one
    it cannot be asked for (unreachable, or an error) stays ``requested`` and the
    ``retry_refunds`` job finishes it under the same idempotency key; one it refuses is ``failed``.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        ids: IdGenerator,
        gateway: PaymentGateway,
        payments: HandlePaymentEventHandler,
    ) -> None:
        self._uow, self._engine, self._clock, self._ids = uow, engine, clock, ids
        self._gateway, self._payments = gateway, payments

    async def __call__(self, command: CancelBooking) -> Booking:
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
        if command.customer_ref not in (None, booking.customer_ref):
            raise NotFoundError("booking", command.booking_id)
        if booking.status in AWAITING_PAYMENT and booking.payment is not None:
            await self._payments.stop_payment(booking, "cancel")
        booking, refund = await self._cancel(command)
        if refund is None:
            return booking
        # The cancellation is committed and the refund recorded: an error answer would tell the
        # client it did not happen. A refund the provider refused is marked failed; any other
        # stays requested for the retry_refunds job, which asks again under the same key. The
        # booking read again says which (payment.refunding, GET .../refunds).
        with suppress(DomainError):
            await execute_refund(self._uow, self._gateway, self._clock, refund, booking, fresh=True)
        async with self._uow() as uow:
            return await uow.bookings.get(command.tenant_id, command.booking_id)

    async def _cancel(self, command: CancelBooking) -> tuple[Booking, Refund | None]:
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id, lock=True)
            listing = await uow.listings.get(command.tenant_id, booking.listing_id)
            sold, awaiting, now = booking.owns_units, booking.status in AWAITING_PAYMENT, self._clock.now()
            reserved = outstanding(await uow.refunds.for_booking(booking.id))
            before = {"status": booking.status}
            booking.cancel(now, command.actor, command.reason)
            await uow.bookings.save(booking)
            after = {"status": booking.status, "reason": command.reason}
            await uow.audit.record("booking.cancel", "booking", booking.id, before=before, after=after)
            if sold:
                await uow.pools.record_sold([(line.pool_id, -line.quantity) for line in booking.lines])
            owed = listing.policy.refund_for(booking.refundable, listing.starts_at, now) if sold else 0
            amount = min(owed, booking.refundable - reserved)  # refunds under way count as given back
            refund = None
            if amount > 0:
                money = Money(amount, booking.total.currency)
                refund = Refund(self._ids.new_id(), booking.tenant_id, booking.id, money, command.reason, now, now)
                await uow.refunds.add(refund)
            await uow.outbox.add(booking.events)
            # The engine gives the units back last, just before the commit: when the record cannot
            # be written, the engine (Redis, outside this transaction) still counts them sold, so
            # they are never sold again while the booking still holds them.
            if sold:
                await self._engine.cancel(booking.hold_id)
            elif awaiting:
                await release_booked_hold(self._engine, booking.hold_id, now)
            await uow.commit()
        return booking, refund
