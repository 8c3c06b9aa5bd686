"""Book a hold: free holds are confirmed at once, priced ones start a checkout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.payments import PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.free_bookings import FreeBookingWriter, booking_summary
from application.use_cases.get_hold import tenant_hold
from domain.bookings import Booking, Payment
from domain.contacts import EmailAddress
from domain.errors import DuplicateError, HoldExpiredError, HoldNotActiveError
from domain.inventory import Hold, HoldStatus
from domain.money import Money
from domain.quotes import may_be_quoted


@dataclass(frozen=True, slots=True)
class CreateBooking:
    tenant_id: UUID
    hold_id: UUID
    actor: str
    contact_email: EmailAddress | None = None
    customer_ref: str | None = None  # a signed-in customer: only a hold of theirs (else not found)


@dataclass(frozen=True, slots=True)
class CreatedBooking:
    booking: Booking
    created: bool  # False when the hold was booked already (a retry)


class CreateBookingHandler:
    """Rules:

    * one booking per hold: booking a hold again returns the booking it already has;
    * an optional contact email is where the booking's notifications go; booking the hold
      again keeps the email the booking was made with;
    * an expired hold cannot be booked (``HoldExpiredError``), a released one neither;
    * a free hold (total 0) is confirmed at once; the booking is committed to the system of
      record, which refuses to record more sold units than a pool's capacity, before anyone
      is told it is confirmed (``free_bookings``: the booking's rows first, then the engine's
      confirm, then the commit). An active hold has no booking yet, so it is written without
      reading first (a concurrent booking of it is found by the write); only a hold the engine
      calls confirmed (booked already, or its booking's commit was lost) is looked up first;
    * a hold placed from a quote (``HoldQuote``) is charged the quote's total, whatever the
      prices are by now: the booking's total, the PaymentIntent's amount (and so the ledger's
      entries, posted from what the intent captured) are that total, provided the hold is the
      quote's (same lines, customer and listing: ``Quote.locks``). Only a hold whose id is
      name-based (version 5) can come from a quote; any other is never looked up;
    * a priced hold gets a PaymentIntent for its total and a ``pending_payment`` booking; its
      units stay held, and are sold only when the payment is captured. The intent's
      idempotency key derives from the hold, so a retried checkout never creates a second one.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        gateway: PaymentGateway,
        free: FreeBookingWriter,
    ) -> None:
        self._uow, self._engine, self._clock, self._gateway, self._free = uow, engine, clock, gateway, free

    async def __call__(self, command: CreateBooking) -> CreatedBooking:
        hold = await tenant_hold(self._engine, self._uow, command.tenant_id, command.hold_id, command.customer_ref)
        total = await self._total(hold)
        try:
            if total.amount == 0 or hold.status is HoldStatus.CONFIRMED:
                return await self._book_free(command, hold, total)
            return await self._check_out(command, hold, total)
        except DuplicateError:  # a concurrent request booked the same hold first
            return CreatedBooking(await self._existing(command), created=False)

    async def _total(self, hold: Hold) -> Money:
        """What the hold costs: its quote's total when it was held from one, else its lines'."""
        if not may_be_quoted(hold.id):
            return hold.total_price
        async with self._uow() as uow:
            quote = await uow.quotes.by_hold(hold.tenant_id, hold.id)
        return quote.total if quote is not None and quote.locks(hold) else hold.total_price

    async def _book_free(self, command: CreateBooking, hold: Hold, total: Money) -> CreatedBooking:
        if hold.status is not HoldStatus.ACTIVE:
            async with self._uow() as uow:
                existing = await uow.bookings.get_by_hold(command.tenant_id, hold.id)
            if existing is not None:
                return CreatedBooking(existing, created=False)
        booking = Booking.confirm_hold(hold, self._clock.now(), command.actor, command.contact_email, total)
        if not await self._free.write(booking):
            raise DuplicateError(f"hold {hold.id} is booked")
        return CreatedBooking(booking, created=True)

    async def _check_out(self, command: CreateBooking, hold: Hold, total: Money) -> CreatedBooking:
        async with self._uow() as uow:
            existing = await uow.bookings.get_by_hold(command.tenant_id, hold.id)
        if existing is not None:
            return CreatedBooking(existing, created=False)
        now = self._clock.now()
        _check_payable(hold, now)
        booking_id = Booking.id_for_hold(hold.id)
        intent = await self._gateway.create_intent(
            amount=total.amount,
            currency=total.currency.lower(),
            metadata=_metadata(hold, booking_id),
            idempotency_key=f"checkout:{hold.id}",
        )
        payment = Payment(intent.id, intent.client_secret, due_at=hold.expires_at)
        booking = Booking.await_payment(hold, now, command.actor, payment, command.contact_email, total)
        async with self._uow() as uow:
            await uow.bookings.add(booking)
            await uow.outbox.add(booking.events)
            await uow.audit.record("booking.create", "booking", booking.id, after=booking_summary(booking))
            await uow.commit()
        return CreatedBooking(booking, created=True)

    async def _existing(self, command: CreateBooking) -> Booking:
        async with self._uow() as uow:
            booking = await uow.bookings.get_by_hold(command.tenant_id, command.hold_id)
        if booking is None:
            raise DuplicateError(f"hold {command.hold_id} is being booked; retry")
        return booking


def _check_payable(hold: Hold, now: datetime) -> None:
    if hold.status is HoldStatus.EXPIRED or hold.is_due(now):
        raise HoldExpiredError(hold.id)
    if hold.status is not HoldStatus.ACTIVE:
        raise HoldNotActiveError(hold.id, hold.status.value)


def _metadata(hold: Hold, booking_id: UUID) -> dict[str, str]:
    return {
        "booking_id": str(booking_id),
        "hold_id": str(hold.id),
        "tenant_id": str(hold.tenant_id),
        "pay_before": hold.expires_at.isoformat(),
    }
