"""The confirm path on the redis engine (issue 9, item 7): booking a free hold costs Postgres only
the writes of the booking, and concurrent bookings of a process share one transaction
(``application/use_cases/free_bookings.py``), each keeping every guarantee it has alone.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from application.use_cases.free_bookings import GroupedFreeBookingWriter
from domain.bookings import Booking
from domain.errors import HoldNotActiveError
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.tables import booking_transitions, bookings
from tests.e2e.conftest import World
from tests.e2e.helpers import availability, database_statements, hold, make_listing

pytestmark = pytest.mark.parametrize("settings", ["production"], indirect=True)

# What writing one free booking needs: the booking and its history (one statement: the
# transitions of the bookings inserted), its event's sequence number and the event (one
# statement: the sequences upsert feeding the outbox insert), the pool's sold units, and the
# group's audit rows (one multi-row insert before the commit). Nothing read, no savepoint, one
# connection checked out.
BOOKING_WRITES = [
    "WITH added",  # INSERT INTO bookings, INSERT INTO booking_transitions
    "WITH reserved",  # INSERT INTO outbox_sequences, INSERT INTO outbox
    "UPDATE pools",
    "INSERT INTO audit_logs",  # booking.create, one row a booking
]


def _verbs(queries: list[str]) -> list[str]:
    """Each statement's first words (``INSERT INTO bookings``), checkouts as they are (commits left out)."""
    kept = [q for q in queries if q != "<commit>"]
    return [" ".join(q.split()[:3]) if q.startswith("INSERT") else " ".join(q.split()[:2]) for q in kept]


async def _free_holds(world: World, count: int, capacity: int = 100) -> tuple[str, str, list[str]]:
    listing_id, pools = await make_listing(world.api, (("a", capacity, 0),))
    holds = [(await hold(world.api, listing_id, {pools["a"]: 1}, customer=f"c{n}")).json()["id"] for n in range(count)]
    return listing_id, pools["a"], holds


async def test_a_free_booking_reads_nothing_from_postgres_and_writes_each_table_once(world: World) -> None:
    listing_id, _, [hold_id] = await _free_holds(world, 1)

    with database_statements(world.container) as queries:
        first = await world.api.post("/v1/bookings", {"hold_id": hold_id})

    assert first.status_code == 201, first.text
    assert _verbs(queries) == ["<checkout>", *BOOKING_WRITES]
    again = await world.api.post("/v1/bookings", {"hold_id": hold_id})  # a retry reads the booking
    assert (again.status_code, again.json()) == (200, first.json())
    assert await availability(world.api, listing_id) == {"a": (0, 1, 99)}


async def test_concurrent_free_bookings_share_transactions_and_each_is_whole(world: World) -> None:
    n = 30
    listing_id, _, holds = await _free_holds(world, n)

    with database_statements(world.container) as queries:
        answers = await asyncio.gather(*(world.api.post("/v1/bookings", {"hold_id": h}) for h in holds))

    assert [a.status_code for a in answers] == [201] * n
    assert {a.json()["hold_id"] for a in answers} == set(holds)
    assert queries.count("<checkout>") < n  # groups, not one transaction a booking
    # Whatever a group's size, it writes with the statements one booking does.
    assert _verbs(queries) == ["<checkout>", *BOOKING_WRITES] * queries.count("<checkout>")
    assert await availability(world.api, listing_id) == {"a": (0, n, 100 - n)}
    assert {(await world.api.get(f"/v1/holds/{h}")).json()["status"] for h in holds} == {"confirmed"}
    ids = [UUID(a.json()["id"]) for a in answers]
    assert await _rows(world, ids) == (n, n, n)  # a booking, a transition and an event each
    again = await asyncio.gather(*(world.api.post("/v1/bookings", {"hold_id": h}) for h in holds))
    assert [(a.status_code, a.json()) for a in again] == [(200, a.json()) for a in answers]
    assert (await world.other.post("/v1/bookings", {"hold_id": holds[0]})).status_code == 404


async def _rows(world: World, booking_ids: list[UUID]) -> tuple[int, int, int]:
    async with world.container.gateways.database().reading() as session:
        counted = []
        for statement in (
            select(func.count()).select_from(bookings).where(bookings.c.id.in_(booking_ids)),
            select(func.count()).where(booking_transitions.c.booking_id.in_(booking_ids)),
            select(func.count()).where(outbox.c.aggregate_id.in_(booking_ids), outbox.c.sequence == 1),
        ):
            counted.append(int((await session.execute(statement)).scalar_one()))
    return counted[0], counted[1], counted[2]


async def _bookings(world: World, holds: list[str]) -> list[Booking]:
    engine = world.container.gateways.inventory()
    found = [await engine.get_hold(UUID(h)) for h in holds]
    return [Booking.confirm_hold(h, world.clock.now(), "test") for h in found if h is not None]


async def _write_all(writer: GroupedFreeBookingWriter, new: list[Booking]) -> list[Any]:
    """Every booking handed to the writer before it runs: they are one group."""
    return await asyncio.gather(*(writer.write(booking) for booking in new), return_exceptions=True)


async def test_a_group_with_a_hold_that_cannot_be_booked_books_the_others(world: World) -> None:
    listing_id, _, holds = await _free_holds(world, 5)
    new = await _bookings(world, holds)
    assert (await world.api.delete(f"/v1/holds/{holds[2]}")).status_code == 200  # released meanwhile
    writer = world.container.use_cases.free_bookings()
    assert isinstance(writer, GroupedFreeBookingWriter)

    with database_statements(world.container) as queries:
        outcomes = await _write_all(writer, new)

    assert [o if isinstance(o, bool) else type(o) for o in outcomes] == [True, True, HoldNotActiveError, True, True]
    assert queries.count("<checkout>") == 1 + len(new)  # the group, rolled back; then each alone
    assert await availability(world.api, listing_id) == {"a": (0, 4, 96)}
    booked = [h for n, h in enumerate(holds) if n != 2]
    assert {(await world.api.get(f"/v1/holds/{h}")).json()["status"] for h in booked} == {"confirmed"}
    assert (await world.api.get(f"/v1/holds/{holds[2]}")).json()["status"] == "released"
    assert await _rows(world, [b.id for b in new]) == (4, 4, 4)


async def test_one_hold_twice_in_a_group_is_written_once(world: World) -> None:
    listing_id, _, holds = await _free_holds(world, 2)
    first, second = await _bookings(world, holds)
    writer = world.container.use_cases.free_bookings()

    with database_statements(world.container) as queries:
        outcomes = await _write_all(writer, [first, second, first])

    assert outcomes == [True, True, False]  # the second of one hold waits for the next group
    assert queries.count("<checkout>") == 2
    assert await availability(world.api, listing_id) == {"a": (0, 2, 98)}
    assert await _rows(world, [first.id, second.id]) == (2, 2, 2)
