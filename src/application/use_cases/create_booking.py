"""Book a hold: its held units become sold, and a confirmed booking is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.get_hold import tenant_hold
from domain.bookings import Booking
from domain.errors import DuplicateError


@dataclass(frozen=True, slots=True)
class CreateBooking:
    tenant_id: UUID
    hold_id: UUID
    actor: str


@dataclass(frozen=True, slots=True)
class CreatedBooking:
    booking: Booking
    created: bool  # False when the hold was booked already (a retry)


class CreateBookingHandler:
    """Rules:

    * one booking per hold: booking a hold again returns the booking it already has;
    * an expired hold cannot be booked (``HoldExpiredError``), a released one neither;
    * the booking is committed to the system of record, which refuses to record more sold
      units than a pool's capacity, before anyone is told it is confirmed.

    The record is written first and the engine confirms last, inside the same unit of work:
    with the SQL engine both commit together; with Redis, a crash between the two leaves a
    confirmed hold without a booking, which the next retry (or reconciliation) completes,
    because confirming is idempotent.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._engine, self._clock, self._ids = uow, engine, clock, ids

    async def __call__(self, command: CreateBooking) -> CreatedBooking:
        hold = await tenant_hold(self._engine, command.tenant_id, command.hold_id)
        try:
            return await self._book(command, hold.id)
        except DuplicateError:  # a concurrent request booked the same hold first
            return CreatedBooking(await self._existing(command), created=False)

    async def _book(self, command: CreateBooking, hold_id: UUID) -> CreatedBooking:
        async with self._uow() as uow:
            existing = await uow.bookings.get_by_hold(command.tenant_id, hold_id)
            if existing is not None:
                return CreatedBooking(existing, created=False)
            now = self._clock.now()
            confirmed = await self._engine.confirm(hold_id, now)
            booking = Booking.confirm_hold(self._ids.new_id(), confirmed, now, command.actor)
            await uow.bookings.add(booking)
            await uow.pools.record_sold([(line.pool_id, line.quantity) for line in booking.lines])
            await uow.commit()
        return CreatedBooking(booking, created=True)

    async def _existing(self, command: CreateBooking) -> Booking:
        async with self._uow() as uow:
            booking = await uow.bookings.get_by_hold(command.tenant_id, command.hold_id)
        if booking is None:
            raise DuplicateError(f"hold {command.hold_id} is being booked; retry")
        return booking
