"""The system of record's view of the inventory, for reconciliation (Postgres and SQLite).

Two variants, one per place the live holds are kept: ``SqlJournalInventoryRecord`` reads the
hold journal (the Redis engine's holds, copied in), ``SqlEngineInventoryRecord`` the SQL
engine's own holds table. Both read capacity, overbooking and sold units from the pools table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, or_, select

from application.ports.reconciliation import RecordedPool
from domain.bookings import AWAITING_PAYMENT, BookingStatus
from domain.inventory import Hold, HoldLine, HoldStatus
from domain.reconciliation import ReconciliationScope
from infrastructure.inventory.sql_rows import hold_from_rows
from infrastructure.inventory.sql_tables import inventory_hold_lines, inventory_holds
from infrastructure.persistence.database import Database
from infrastructure.persistence.journal import journal_hold_from_row
from infrastructure.persistence.journal_tables import hold_journal
from infrastructure.persistence.tables import booking_transitions, bookings, pools


def _in_scope(table: Any, scope: ReconciliationScope) -> list[ColumnElement[bool]]:
    where = []
    if scope.tenant_id is not None:
        where.append(table.c.tenant_id == scope.tenant_id)
    if scope.listing_id is not None:
        where.append(table.c.listing_id == scope.listing_id)
    return where


class _SqlPools:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def pools(self, scope: ReconciliationScope) -> list[RecordedPool]:
        c = pools.c
        columns = (c.id, c.listing_id, c.tenant_id, c.capacity, c.sold, c.overbooking)
        statement = select(*columns).where(*_in_scope(pools, scope)).order_by(pools.c.listing_id, pools.c.id)
        async with self._db.reading() as session:
            return [RecordedPool(*row) for row in await session.execute(statement)]


class SqlJournalInventoryRecord(_SqlPools):
    """Live holds from the hold journal, corrected by the bookings, which are the truth:

    * a hold whose booking owns units (confirmed, not cancelled since) is confirmed, whatever
      the journal says (the journal may lag: Redis could be lost before it caught up); a hold
      the journal never saw is rebuilt from its booking;
    * a hold journaled active counts while its time is not up, unless its booking is neither
      awaiting payment nor owning units (it ended: expired, cancelled, refunded).
    """

    async def live_holds(self, scope: ReconciliationScope, now: datetime) -> list[Hold]:
        async with self._db.reading() as session:
            booked = (await session.execute(_bookings(scope))).all()
            owning = [row for row in booked if row.owns_units]
            ended = {row.hold_id for row in booked if not row.owns_units and row.status not in _AWAITING}
            journaled = select(hold_journal).where(hold_journal.c.hold_id.in_([row.hold_id for row in owning]))
            known = {row.hold_id: journal_hold_from_row(row) for row in await session.execute(journaled)}
            active_rows = await session.execute(_active_journal(scope, now))
            active = [journal_hold_from_row(row) for row in active_rows]
        sold = [_confirmed(row, known.get(row.hold_id)) for row in owning]
        sold_ids = {hold.id for hold in sold}
        return sold + [hold for hold in active if hold.id not in sold_ids and hold.id not in ended]


class SqlEngineInventoryRecord(_SqlPools):
    """Live holds from the SQL engine's tables, which commit with the bookings."""

    async def live_holds(self, scope: ReconciliationScope, now: datetime) -> list[Hold]:
        live = or_(
            and_(inventory_holds.c.status == HoldStatus.ACTIVE.value, inventory_holds.c.expires_at > now),
            inventory_holds.c.status == HoldStatus.CONFIRMED.value,
        )
        statement = select(inventory_holds).where(live, *_in_scope(inventory_holds, scope))
        async with self._db.reading() as session:
            rows = (await session.execute(statement.order_by(inventory_holds.c.id))).all()
            lines = select(inventory_hold_lines).where(inventory_hold_lines.c.hold_id.in_([row.id for row in rows]))
            lines_of: dict[UUID, list[Any]] = defaultdict(list)
            for line in await session.execute(lines.order_by(inventory_hold_lines.c.position)):
                lines_of[line.hold_id].append(line)
        return [hold_from_rows(row, lines_of[row.id]) for row in rows]


_AWAITING = {status.value for status in AWAITING_PAYMENT}


def _reached(status: BookingStatus) -> Any:
    return (
        select(booking_transitions.c.booking_id)
        .where(booking_transitions.c.booking_id == bookings.c.id, booking_transitions.c.to_status == status.value)
        .exists()
    )


def _bookings(scope: ReconciliationScope) -> Select[Any]:
    owns_units = and_(_reached(BookingStatus.CONFIRMED), ~_reached(BookingStatus.CANCELLED)).label("owns_units")
    return select(bookings, owns_units).where(*_in_scope(bookings, scope))


def _active_journal(scope: ReconciliationScope, now: datetime) -> Select[Any]:
    active = (hold_journal.c.status == HoldStatus.ACTIVE.value, hold_journal.c.expires_at > now)
    return select(hold_journal).where(*active, *_in_scope(hold_journal, scope)).order_by(hold_journal.c.hold_id)


def _confirmed(booking: Any, journaled: Hold | None) -> Hold:
    if journaled is not None:
        return replace(journaled, status=HoldStatus.CONFIRMED)
    lines = tuple(HoldLine(UUID(line["pool_id"]), line["quantity"], line["unit_price"]) for line in booking.lines)
    created, due = booking.created_at, booking.payment_due_at
    return Hold(
        id=booking.hold_id,
        tenant_id=booking.tenant_id,
        listing_id=booking.listing_id,
        customer_ref=booking.customer_ref,
        lines=lines,
        currency=booking.currency,
        created_at=created,
        # Unknown once the journal lost it; a confirmed hold never expires, so any later time does.
        expires_at=due if due is not None and due > created else created + timedelta(seconds=1),
        status=HoldStatus.CONFIRMED,
    )
