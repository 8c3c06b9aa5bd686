"""The SQL repository of booking changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking_changes import BookingChange, ChangeState
from domain.bookings import Booking
from domain.errors import NotFoundError
from domain.inventory import HoldLine
from domain.money import Money
from infrastructure.persistence.booking_change_tables import booking_changes as changes
from infrastructure.persistence.tables import bookings


class SqlBookingChangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, change: BookingChange) -> None:
        await self._session.execute(insert(changes).values(**_to_row(change)))

    async def save(self, change: BookingChange) -> None:
        values = {
            "state": change.state.value,
            "intent_id": change.intent_id,
            "client_secret": change.client_secret,
            "refund_id": change.refund_id,
            "reason": change.reason,
            "updated_at": change.updated_at,
        }
        await self._session.execute(update(changes).where(changes.c.id == change.id).values(**values))

    async def get(self, tenant_id: UUID, change_id: UUID, *, lock: bool = False) -> BookingChange:
        statement = select(changes).where(changes.c.id == change_id, changes.c.tenant_id == tenant_id)
        row = (await self._session.execute(statement.with_for_update() if lock else statement)).first()
        if row is None:
            raise NotFoundError("booking change", change_id)
        return _from_row(row)

    async def for_booking(self, booking_id: UUID) -> list[BookingChange]:
        statement = select(changes).where(changes.c.booking_id == booking_id).order_by(changes.c.created_at)
        return [_from_row(row) for row in (await self._session.execute(statement)).all()]

    async def by_intent(self, intent_id: str) -> BookingChange | None:
        row = (await self._session.execute(select(changes).where(changes.c.intent_id == intent_id))).first()
        return None if row is None else _from_row(row)

    async def to_resume(self, now: datetime, cutoff: datetime, limit: int) -> list[BookingChange]:
        held = and_(changes.c.state == ChangeState.HELD.value, changes.c.updated_at <= cutoff)
        unpaid = and_(changes.c.state == ChangeState.AWAITING_PAYMENT.value, changes.c.due_at <= now)
        statement = select(changes).where(or_(held, unpaid)).order_by(changes.c.updated_at).limit(limit)
        return [_from_row(row) for row in (await self._session.execute(statement)).all()]

    async def write_terms(self, booking: Booking) -> None:
        values = {
            "listing_id": booking.listing_id,
            "lines": _lines_out(booking.lines),
            "total_amount": booking.total.amount,
        }
        await self._session.execute(update(bookings).where(bookings.c.id == booking.id).values(**values))


def _lines_out(lines: tuple[HoldLine, ...]) -> list[dict[str, Any]]:
    return [{"pool_id": str(line.pool_id), "quantity": line.quantity, "unit_price": line.unit_price} for line in lines]


def _lines_in(stored: list[dict[str, Any]]) -> tuple[HoldLine, ...]:
    return tuple(HoldLine(UUID(line["pool_id"]), line["quantity"], line["unit_price"]) for line in stored)


def _to_row(change: BookingChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "tenant_id": change.tenant_id,
        "booking_id": change.booking_id,
        "state": change.state.value,
        "old_hold_id": change.old_hold_id,
        "old_listing_id": change.old_listing_id,
        "old_lines": _lines_out(change.old_lines),
        "old_total": change.old_total.amount,
        "new_hold_id": change.new_hold_id,
        "new_listing_id": change.new_listing_id,
        "new_lines": _lines_out(change.new_lines),
        "new_total": change.new_total.amount,
        "currency": change.new_total.currency,
        "intent_id": change.intent_id,
        "client_secret": change.client_secret,
        "refund_id": change.refund_id,
        "reason": change.reason,
        "actor": change.actor,
        "created_at": change.created_at,
        "updated_at": change.updated_at,
        "due_at": change.due_at,
    }


def _from_row(row: Any) -> BookingChange:
    return BookingChange(
        id=row.id,
        tenant_id=row.tenant_id,
        booking_id=row.booking_id,
        state=ChangeState(row.state),
        old_hold_id=row.old_hold_id,
        old_listing_id=row.old_listing_id,
        old_lines=_lines_in(row.old_lines),
        old_total=Money(row.old_total, row.currency),
        new_hold_id=row.new_hold_id,
        new_listing_id=row.new_listing_id,
        new_lines=_lines_in(row.new_lines),
        new_total=Money(row.new_total, row.currency),
        created_at=row.created_at,
        updated_at=row.updated_at,
        due_at=row.due_at,
        actor=row.actor,
        intent_id=row.intent_id,
        client_secret=row.client_secret,
        refund_id=row.refund_id,
        reason=row.reason,
    )
