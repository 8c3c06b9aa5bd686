"""End the bookings whose payment did not arrive before their hold expired."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.booked_holds import release_booked_hold
from application.use_cases.handle_payment_event import HandlePaymentEventHandler
from domain.bookings import AWAITING_PAYMENT, Booking

ACTOR = "expiry"


class ExpireBookingsHandler:
    """A PaymentIntent cannot outlive its hold: when the hold's time is up, the intent is
    cancelled and the booking ends ``expired``. If the payment succeeded at the last moment,
    the payment handler takes over instead (it sells the units if still free, else refunds).
    A hold the engine lost (``booked_holds``) holds nothing to give back: its booking expires
    all the same, so one such booking never stops the sweep for the others.
    Safe to run anywhere, any number of times: every step is idempotent.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        payments: HandlePaymentEventHandler,
    ) -> None:
        self._uow, self._engine, self._clock = uow, engine, clock
        self._payments = payments

    async def __call__(self, limit: int = 100) -> list[Booking]:
        async with self._uow() as uow:
            due = await uow.bookings.awaiting_payment_due(self._clock.now(), limit)
        expired = []
        for booking in due:
            if await self._end(booking):
                expired.append(booking)
        return expired

    async def _end(self, booking: Booking) -> bool:
        if not await self._payments.stop_payment(booking, "expire"):
            return False
        async with self._uow() as uow:
            current = await uow.bookings.get(booking.tenant_id, booking.id, lock=True)
            if current.status not in AWAITING_PAYMENT:
                return False
            now = self._clock.now()
            await release_booked_hold(self._engine, current.hold_id, now)
            current.expire(now, ACTOR, "not paid before the hold expired")
            await uow.bookings.save(current)
            await uow.outbox.add(current.events)
            await uow.commit()
        return True
