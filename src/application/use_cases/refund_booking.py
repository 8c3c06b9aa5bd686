"""An operator's full or partial refund of a paid booking."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payments import PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.refunds import execute_refund
from domain.bookings import Booking
from domain.money import Money
from domain.refunds import Refund


@dataclass(frozen=True, slots=True)
class RefundBooking:
    tenant_id: UUID
    booking_id: UUID
    amount: int | None  # None: everything still refundable
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class RefundedBooking:
    booking: Booking
    refund: Refund


class RefundBookingHandler:
    """A refund never exceeds what was captured minus what was already refunded
    (``RefundExceedsCapturedError``); a booking with nothing captured has nothing to refund
    (``NothingToRefundError``). Refunding does not cancel the booking or return units.
    """

    def __init__(self, uow: UnitOfWorkFactory, gateway: PaymentGateway, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._gateway, self._clock, self._ids = uow, gateway, clock, ids

    async def __call__(self, command: RefundBooking) -> RefundedBooking:
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
            amount = booking.refundable if command.amount is None else command.amount
            booking.check_refund(amount)
            pending = sum(r.amount.amount for r in await uow.refunds.for_booking(booking.id) if not r.is_final)
            booking.check_refund(amount + pending)
            now = self._clock.now()
            money = Money(amount, booking.total.currency)
            refund = Refund(self._ids.new_id(), booking.tenant_id, booking.id, money, command.reason, now, now)
            await uow.refunds.add(refund)
            await uow.commit()
        settled = await execute_refund(self._uow, self._gateway, self._clock, refund, booking, fresh=True)
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
        return RefundedBooking(booking, settled)
