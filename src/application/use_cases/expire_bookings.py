"""End the bookings whose payment did not arrive before their hold expired."""

from __future__ import annotations

from functools import partial

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.jobs import DeadLetterStore
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.booked_holds import release_booked_hold
from application.use_cases.handle_payment_event import HandlePaymentEventHandler
from application.use_cases.item_dead_letters import ItemDeadLetters
from domain.bookings import AWAITING_PAYMENT, Booking

ACTOR = "expiry"
JOB = "expire_holds"  # the job that runs this sweep


class ExpireBookingsHandler:
    """A PaymentIntent cannot outlive its hold: when the hold's time is up, the intent is
    cancelled and the booking ends ``expired``. If the payment succeeded at the last moment,
    the payment handler takes over instead (it sells the units if still free, else refunds).
    A hold the engine lost (``booked_holds``) holds nothing to give back: its booking expires
    all the same, so one such booking never stops the sweep for the others.
    Safe to run anywhere, any number of times: every step is idempotent.

    One booking that cannot be ended (its intent unknown to the gateway, a state the gateway
    refuses to cancel) never holds up the others behind it: it becomes a dead letter of
    ``expire_holds`` naming it, stays as it is, and is tried again next round (lettered once).
    The gateway being unavailable is not the booking's fault: that fails the round.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        payments: HandlePaymentEventHandler,
        dead_letters: DeadLetterStore,
    ) -> None:
        self._uow, self._engine, self._clock = uow, engine, clock
        self._payments = payments
        self._stuck = ItemDeadLetters(dead_letters, clock, JOB)

    async def __call__(self, limit: int = 100) -> list[Booking]:
        async with self._uow() as uow:
            due = await uow.bookings.awaiting_payment_due(self._clock.now(), limit)
        expired = []
        for booking in due:
            args = {"booking_id": str(booking.id), "tenant_id": str(booking.tenant_id)}
            if await self._stuck.run(f"booking {booking.id}", args, partial(self._end, booking)):
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
            before = {"status": current.status}
            current.expire(now, ACTOR, "not paid before the hold expired")
            await uow.bookings.save(current)
            await uow.outbox.add(current.events)
            after = {"status": current.status}
            await uow.audit.record(
                "booking.expire", "booking", current.id, before=before, after=after, tenant_id=current.tenant_id
            )
            await uow.commit()
        return True
