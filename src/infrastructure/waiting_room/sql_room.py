"""The waiting room in the system of record (SQLite for the embedded default, or Postgres).

Each operation is one transaction. Writes lock the listing's room row first (``FOR UPDATE`` on
Postgres; SQLite has one writer), so joins, leaves and releases of one listing are serialized:
place numbers come from the room's counter, and a release admits its batch with one UPDATE in
the same transaction that records its time. A process killed mid-release commits nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.waiting_room import Joined, QueueSettings, Ticket, TicketState
from infrastructure.persistence.database import Database
from infrastructure.persistence.queue_tables import queue_pass_holds, queue_rooms, queue_tickets
from infrastructure.persistence.upsert import insert_for
from infrastructure.waiting_room.outcomes import check_use

_T = queue_tickets.c
WAITING, ADMITTED = TicketState.WAITING.value, TicketState.ADMITTED.value


class SqlWaitingRoom:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def join(self, listing_id: UUID, subject: str, ticket_id: UUID, now: datetime) -> Joined:
        async with self._database.transaction() as session:
            room = await _room(session, listing_id)
            mine = (_T.listing_id == listing_id) & (_T.subject == subject)
            existing = (await session.execute(select(queue_tickets).where(mine))).first()
            if existing is not None and (existing.state == WAITING or existing.pass_expires_at > now):
                return Joined(await _ticket(session, existing, now), created=False)
            if existing is not None:  # its pass is over: a new place at the back
                await _forget(session, existing.id)
            seq = room.next_seq + 1
            await session.execute(update(queue_rooms).where(_room_is(listing_id)).values(next_seq=seq))
            row = {"id": ticket_id, "listing_id": listing_id, "subject": subject, "seq": seq}
            await session.execute(queue_tickets.insert().values(**row, state=WAITING, joined_at=now, holds_used=0))
            fresh = (await session.execute(select(queue_tickets).where(_T.id == ticket_id))).one()
            return Joined(await _ticket(session, fresh, now), created=True)

    async def ticket(self, listing_id: UUID, ticket_id: UUID, now: datetime) -> Ticket | None:
        async with self._database.reading() as session:
            where = (_T.id == ticket_id) & (_T.listing_id == listing_id)
            row = (await session.execute(select(queue_tickets).where(where))).first()
            return None if row is None else await _ticket(session, row, now)

    async def leave(self, listing_id: UUID, ticket_id: UUID, subject: str) -> bool:
        async with self._database.transaction() as session:
            await _room(session, listing_id)
            where = (_T.id == ticket_id) & (_T.listing_id == listing_id) & (_T.subject == subject)
            if (await session.execute(select(_T.id).where(where))).first() is None:
                return False
            await _forget(session, ticket_id)
            return True

    async def release(self, listing_id: UUID, queue: QueueSettings, now: datetime) -> int:
        async with self._database.transaction() as session:
            room = await _room(session, listing_id)
            if room.released_at is not None and now < room.released_at + timedelta(seconds=queue.period_seconds):
                return 0
            await session.execute(update(queue_rooms).where(_room_is(listing_id)).values(released_at=now))
            await _forget_expired(session, listing_id, now)
            line = select(_T.seq).where(_T.listing_id == listing_id, _T.state == WAITING).order_by(_T.seq)
            last = (await session.execute(line.offset(queue.batch_size - 1).limit(1))).scalar()
            batch = (_T.listing_id == listing_id) & (_T.state == WAITING)
            if last is not None:  # else every waiting place fits in the batch
                batch &= _T.seq <= last
            expires = now + timedelta(seconds=queue.pass_ttl_seconds)
            admitted = (
                update(queue_tickets).where(batch).values(state=ADMITTED, admitted_at=now, pass_expires_at=expires)
            )
            return int((await session.execute(admitted)).rowcount)

    async def use_pass(
        self, listing_id: UUID, ticket_id: UUID, subject: str, hold_id: UUID, limit: int, now: datetime
    ) -> bool:
        async with self._database.transaction() as session:
            where = (_T.id == ticket_id) & (_T.listing_id == listing_id)
            row = (await session.execute(select(queue_tickets).where(where).with_for_update())).first()
            outcome = await _use(session, row, subject, hold_id, limit, now)
        return check_use(outcome, limit)

    async def unuse_pass(self, listing_id: UUID, ticket_id: UUID, hold_id: UUID) -> None:
        async with self._database.transaction() as session:
            counted = (queue_pass_holds.c.hold_id == hold_id) & (queue_pass_holds.c.ticket_id == ticket_id)
            if (await session.execute(delete(queue_pass_holds).where(counted))).rowcount:
                less = update(queue_tickets).where(_T.id == ticket_id).values(holds_used=_T.holds_used - 1)
                await session.execute(less)


async def _use(session: AsyncSession, row: Any, subject: str, hold_id: UUID, limit: int, now: datetime) -> str:
    if row is None or row.subject != subject:
        return "gone"
    if row.state != ADMITTED:
        return "waiting"
    if row.pass_expires_at <= now:
        return "expired"
    counted = (queue_pass_holds.c.hold_id == hold_id) & (queue_pass_holds.c.ticket_id == row.id)
    if (await session.execute(select(queue_pass_holds.c.hold_id).where(counted))).first() is not None:
        return "again"  # a retried hold: counted once
    if row.holds_used >= limit:
        return "used_up"
    await session.execute(queue_pass_holds.insert().values(hold_id=hold_id, ticket_id=row.id))
    await session.execute(update(queue_tickets).where(_T.id == row.id).values(holds_used=_T.holds_used + 1))
    return "ok"


def _room_is(listing_id: UUID) -> Any:
    return queue_rooms.c.listing_id == listing_id


async def _room(session: AsyncSession, listing_id: UUID) -> Any:
    """The listing's room row, made if need be, locked until the transaction ends."""
    made = insert_for(session, queue_rooms).values(listing_id=listing_id, next_seq=0).on_conflict_do_nothing()
    await session.execute(made)
    return (await session.execute(select(queue_rooms).where(_room_is(listing_id)).with_for_update())).one()


async def _forget(session: AsyncSession, ticket_id: UUID) -> None:
    await session.execute(delete(queue_pass_holds).where(queue_pass_holds.c.ticket_id == ticket_id))
    await session.execute(delete(queue_tickets).where(_T.id == ticket_id))


async def _forget_expired(session: AsyncSession, listing_id: UUID, now: datetime) -> None:
    over = (_T.listing_id == listing_id) & (_T.state == ADMITTED) & (_T.pass_expires_at <= now)
    gone = select(_T.id).where(over).scalar_subquery()
    await session.execute(delete(queue_pass_holds).where(queue_pass_holds.c.ticket_id.in_(gone)))
    await session.execute(delete(queue_tickets).where(over))


async def _ticket(session: AsyncSession, row: Any, now: datetime) -> Ticket:
    state = TicketState(row.state)
    if state is TicketState.ADMITTED and row.pass_expires_at <= now:
        state = TicketState.EXPIRED
    position = 0
    if state is TicketState.WAITING:
        ahead = select(func.count()).where(_T.listing_id == row.listing_id, _T.state == WAITING, _T.seq < row.seq)
        position = int((await session.execute(ahead)).scalar_one()) + 1
    return Ticket(
        id=row.id,
        listing_id=row.listing_id,
        subject=row.subject,
        joined_at=row.joined_at,
        state=state,
        position=position,
        admitted_at=row.admitted_at,
        pass_expires_at=row.pass_expires_at,
    )
