"""Write confirmed free bookings: one transaction per booking, or one for concurrent bookings.

Both writers keep the order ``CreateBookingHandler`` states: the booking, its history, its
events and its sold units are written first, the engine confirms the hold next, and the commit
comes last. When the record cannot be written (the database is down, the pool's capacity is
refused), the engine has sold nothing and the hold stays active; only a commit lost after the
confirm leaves a confirmed hold without its booking, and booking the hold again writes it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from domain.bookings import Booking

MAX_GROUP = 200  # bookings a shared transaction writes at most


class FreeBookingWriter(Protocol):
    async def write(self, booking: Booking) -> bool:
        """Write the confirmed booking and confirm its hold, committed before this returns;
        False (nothing written) when the hold has a booking already."""
        ...


async def write_free_bookings(
    uow: UnitOfWorkFactory, engine: InventoryEngine, new: Sequence[Booking], *, concurrent: bool
) -> set[UUID]:
    """Write the bookings in one transaction; the ids of those written (a booked hold's is not).

    ``concurrent``: the engine's confirms may run at once (an engine outside the transaction,
    Redis); the SQL engine joins the unit of work's one session, so it confirms one at a time.
    """
    async with uow() as unit:
        added = await unit.bookings.add_new(new)
        written = [booking for booking in new if booking.id in added]
        await unit.outbox.add(event for booking in written for event in booking.events)
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
        self._waiting: list[tuple[Booking, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, booking: Booking) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((booking, done))
        if self._writer is None:
            # A context of its own: the group's log lines must not carry the first caller's fields.
            self._writer = asyncio.create_task(self._drain(), context=contextvars.Context())
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            done.add_done_callback(_observed)  # its outcome has nobody to go to
            raise

    async def _drain(self) -> None:
        group: list[tuple[Booking, asyncio.Future[bool]]] = []
        try:
            while self._waiting:
                group = self._next_group()
                await self._write(group)
        except BaseException:  # cancelled (shut down): nobody may wait for ever
            for _, done in [*group, *self._waiting]:
                if not done.done():
                    done.cancel()
            self._waiting.clear()
            raise
        finally:
            self._writer = None

    def _next_group(self) -> list[tuple[Booking, asyncio.Future[bool]]]:
        group: dict[UUID, tuple[Booking, asyncio.Future[bool]]] = {}
        later = []
        for entry in self._waiting:
            if entry[0].hold_id in group or len(group) >= MAX_GROUP:
                later.append(entry)
            else:
                group[entry[0].hold_id] = entry
        self._waiting = later
        return list(group.values())

    async def _write(self, group: list[tuple[Booking, asyncio.Future[bool]]]) -> None:
        try:
            added = await self._together([booking for booking, _ in group])
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0][1], exc)
                return
            for booking, done in group:
                await self._alone(booking, done)
            return
        for booking, done in group:
            _settle(done, booking.id in added)

    async def _together(self, bookings: list[Booking]) -> set[UUID]:
        return await write_free_bookings(self._uow, self._engine, bookings, concurrent=True)

    async def _alone(self, booking: Booking, done: asyncio.Future[bool]) -> None:
        try:
            _settle(done, bool(await self._together([booking])))
        except Exception as exc:
            _settle(done, exc)


def _settle(done: asyncio.Future[bool], outcome: bool | Exception) -> None:
    """Answer a caller, unless it is gone (its request was cancelled)."""
    if done.done():
        return
    if isinstance(outcome, Exception):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)


def _observed(done: asyncio.Future[bool]) -> None:
    if not done.cancelled():
        done.exception()
