"""The SQL queue of customer notifications (Postgres and SQLite); claims as in the webhook inbox.

A booking's notifications are a chain in the order of its events: one is claimable only while
no earlier one of the booking is pending, so a failed first email that waits for its retry, or
one another sender is sending, holds back the later ones (a refund is never announced before
the confirmation). On Postgres a claim is one ``UPDATE`` whose condition is checked again
against the committed row; SQLite has one writer at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.notifications import ClaimedNotification
from application.ports.webhooks import Lease
from domain.contacts import EmailAddress
from domain.errors import NotFoundError
from domain.notifications import Notification, NotificationKind, NotificationStatus
from infrastructure.persistence.chains import waits_behind_earlier
from infrastructure.persistence.delivery_tables import notifications
from infrastructure.persistence.upsert import chunks, insert_for

_PENDING = NotificationStatus.PENDING.value
_STATE = ("status", "attempts", "next_attempt_at", "last_error", "updated_at", "sent_at")


class SqlNotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, new: Sequence[Notification]) -> int:
        """Few statements for the batch: the relay calls this while it holds aggregates' locks."""
        added = 0
        for rows in chunks([_to_row(notification) for notification in new]):
            statement = insert_for(self._session, notifications).values(rows)
            conflict = statement.on_conflict_do_nothing(index_elements=["event_id", "kind"])
            added += (await self._session.execute(conflict)).rowcount
        return added

    async def get(self, notification_id: UUID) -> Notification:
        statement = select(notifications).where(notifications.c.id == notification_id)
        row = (await self._session.execute(statement)).first()
        if row is None:
            raise NotFoundError("notification", notification_id)
        return _from_row(row)

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        statement = (
            select(notifications.c.id)
            .where(_claimable(now))
            .order_by(notifications.c.next_attempt_at, notifications.c.id)
            .limit(limit)
        )
        return list((await self._session.execute(statement)).scalars())

    async def claim(self, notification_id: UUID, now: datetime, lease: Lease) -> ClaimedNotification | None:
        statement = (
            update(notifications)
            .where(notifications.c.id == notification_id, _claimable(now))
            .values(lease_token=lease.token, locked_until=lease.until)
        )
        if (await self._session.execute(statement)).rowcount != 1:
            return None
        return ClaimedNotification(await self.get(notification_id), lease)

    async def finish(self, notification: Notification, lease: Lease) -> bool:
        row = _to_row(notification)
        statement = (
            update(notifications)
            .where(notifications.c.id == notification.id, notifications.c.lease_token == lease.token)
            .values(**{key: row[key] for key in _STATE}, lease_token=None, locked_until=None)
        )
        return bool((await self._session.execute(statement)).rowcount == 1)


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Pending, due, unleased, and first in line of its booking."""
    unleased = or_(notifications.c.locked_until.is_(None), notifications.c.locked_until < now)
    pending = notifications.c.status == _PENDING
    waits = waits_behind_earlier(notifications, ("booking_id",), _PENDING)
    return and_(pending, notifications.c.next_attempt_at <= now, unleased, ~waits)


def _to_row(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "event_id": notification.event_id,
        "kind": notification.kind.value,
        "tenant_id": notification.tenant_id,
        "booking_id": notification.booking_id,
        "recipient": notification.recipient.value,
        "data": notification.data,
        "status": notification.status.value,
        "attempts": notification.attempts,
        "next_attempt_at": notification.next_attempt_at,
        "last_error": notification.last_error,
        "created_at": notification.created_at,
        "updated_at": notification.updated_at,
        "sent_at": notification.sent_at,
        "sequence": notification.sequence,
    }


def _from_row(row: Any) -> Notification:
    return Notification(
        id=row.id,
        event_id=row.event_id,
        kind=NotificationKind(row.kind),
        tenant_id=row.tenant_id,
        booking_id=row.booking_id,
        recipient=EmailAddress.recorded(row.recipient),
        created_at=row.created_at,
        updated_at=row.updated_at,
        sequence=row.sequence,
        data=dict(row.data),
        status=NotificationStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )
