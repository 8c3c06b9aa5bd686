"""Write confirmed free bookings: one transaction per booking, or one for concurrent bookings.

Both writers keep the order ``CreateBookingHandler`` states: the booking, its history, its
events and its sold units are written first, the engine confirms the hold next, and the commit
comes last. When the record cannot be written (the database is down, the pool's capacity is
refused), the engine has sold nothing and the hold stays active; only a commit lost after the
confirm leaves a confirmed hold without its booking, and booking the hold again writes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Protocol
from uuid import UUID

from application.audit import AuditContext, current_audit_context
from application.group_commit import Failed, GroupCommit
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from domain.bookings import Booking

MAX_GROUP = 200  # bookings a shared transaction writes at most


class FreeBookingWriter(Protocol):
    async def write(self, booking: Booking) -> bool:
        """Write the confirmed booking and confirm its hold, committed before this returns;
        False (nothing written) when the hold has a booking already."""
        ...


def booking_summary(booking: Booking) -> dict[str, object]:
    """A booking as its audit rows show it (the contact address masked when recorded)."""
    return {
        "hold_id": booking.hold_id,
        "listing_id": booking.listing_id,
        "customer_ref": booking.customer_ref,
        "status": booking.status,
        "total": booking.total.amount,
        "currency": booking.total.currency,
        "contact_email": None if booking.contact_email is None else booking.contact_email.value,
    }


async def write_free_bookings(
    uow: UnitOfWorkFactory,
    engine: InventoryEngine,
    new: Sequence[Booking],
    *,
    concurrent: bool,
    contexts: Mapping[UUID, AuditContext] | None = None,
) -> set[UUID]:
    """Write the bookings in one transaction; the ids of those written (a booked hold's is not).

    ``concurrent``: the engine's confirms may run at once (an engine outside the transaction,
    Redis); the SQL engine joins the unit of work's one session, so it confirms one at a time.
    ``contexts``: who asked for each booking (by booking id), when they are not all the caller.
    """
    async with uow() as unit:
        added = await unit.bookings.add_new(new)
        written = [booking for booking in new if booking.id in added]
        await unit.outbox.add(event for booking in written for event in booking.events)
        for booking in written:
            context = None if contexts is None else contexts.get(booking.id)
            summary = booking_summary(booking)
            await unit.audit.record("booking.create", "booking", booking.id, after=summary, context=context)
        # Sold units last among the writes: the pool row stays locked from here to the commit.
        await unit.pools.record_sold([(line.pool_id, line.quantity) for b in written for line in b.lines])
        await _confirm(engine, written, concurrent)
        await unit.commit()
    return added


async def _confirm(engine: InventoryEngine, bookings: Sequence[Booking], concurrent: bool) -> None:
    if not concurrent:
        for booking in bookings:
            await engine.confirm(booking.hold_id, booking.created_at)
        return
    # Every confirm finishes before the transaction is given up: none is left running behind it.
    outcomes = await asyncio.gather(
        *(engine.confirm(b.hold_id, b.created_at) for b in bookings), return_exceptions=True
    )
    failed = next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None)
    if failed is not None:
        raise failed


class SingleFreeBookingWriter:
    """One transaction per booking: for the engines that share the database's transaction."""

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine

    async def write(self, booking: Booking) -> bool:
        return booking.id in await write_free_bookings(self._uow, self._engine, [booking], concurrent=False)


class GroupedFreeBookingWriter:
    """Concurrent bookings of one process share one transaction (a group commit).

    Rules:

    * nobody waits for company: a booking that finds no transaction under way starts one at
      once; those that arrive while it runs are written together by the next one (at most
      ``MAX_GROUP`` a transaction), so under a rush a hot pool's row is locked once a group,
      not once a booking, and a connection is checked out once a group;
    * each booking keeps the guarantees it would have alone: it is written with its history,
      events and sold units before its hold is confirmed, and its caller hears of it only
      after the commit;
    * one booking's trouble is never the others': when a shared transaction fails (a hold
      expired meanwhile, a pool refused), it is rolled back and each booking is written again
      alone, so each caller gets its own answer. Holds the failed group confirmed already are
      confirmed again harmlessly, and written with their bookings;
    * two bookings of the same hold are never in one group: the second waits for the next, and
      finds the hold booked (False);
    * for an engine outside the transaction (Redis): its confirms of a group run at once.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine) -> None:
        self._uow, self._engine = uow, engine
        self._groups: GroupCommit[Booking, bool] = GroupCommit(self._write, _one_a_hold)
        # Who asked for each waiting booking: a group is written in the task of whichever
        # request started it, so each booking's audit row names its own request instead.
        self._contexts: dict[UUID, AuditContext] = {}

    async def write(self, booking: Booking) -> bool:
        self._contexts[booking.id] = current_audit_context()
        try:
            return await self._groups(booking)
        finally:
            self._contexts.pop(booking.id, None)

    async def _write(self, group: list[Booking]) -> list[bool | Failed]:
        try:
            added = await self._together(group)
        except Exception as exc:
            if len(group) == 1:
                return [Failed(exc)]
            return [await self._alone(booking) for booking in group]
        return [booking.id in added for booking in group]

    async def _together(self, bookings: list[Booking]) -> set[UUID]:
        return await write_free_bookings(self._uow, self._engine, bookings, concurrent=True, contexts=self._contexts)

    async def _alone(self, booking: Booking) -> bool | Failed:
        try:
            return bool(await self._together([booking]))
        except Exception as exc:
            return Failed(exc)


def _one_a_hold(waiting: Sequence[Booking]) -> list[int]:
    """The next group: at most ``MAX_GROUP``, and never two bookings of one hold."""
    holds: set[UUID] = set()
    chosen: list[int] = []
    for index, booking in enumerate(waiting):
        if booking.hold_id not in holds and len(chosen) < MAX_GROUP:
            holds.add(booking.hold_id)
            chosen.append(index)
    return chosen
