"""Cancel a confirmed booking and give its units back."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from domain.bookings import Booking


@dataclass(frozen=True, slots=True)
class CancelBooking:
    tenant_id: UUID
    booking_id: UUID
    actor: str
    reason: str = "cancelled by request"


class CancelBookingHandler:
    """Only a confirmed booking can be cancelled (the transition table says so); its sold
    units return to their pools in the engine and in the record, in one unit of work.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, clock: Clock) -> None:
        self._uow, self._engine, self._clock = uow, engine, clock

    async def __call__(self, command: CancelBooking) -> Booking:
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
            booking.cancel(self._clock.now(), command.actor, command.reason)
            await uow.bookings.save(booking)
            await uow.pools.record_sold([(line.pool_id, -line.quantity) for line in booking.lines])
            await self._engine.cancel(booking.hold_id)
            await uow.commit()
        return booking
