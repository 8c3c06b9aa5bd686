"""The SQL webhook inbox (Postgres and SQLite).

Every write that decides who handles an event is one conditional statement, atomic on both
databases: ``INSERT ... ON CONFLICT DO NOTHING`` stores an event once however many deliveries
race, and ``UPDATE ... WHERE <claimable>`` leases it to exactly one worker. On Postgres a
second claimer blocks on the first one's row lock and then re-checks the condition against the
committed row, so it finds the event leased and updates nothing; SQLite has one writer at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.payments import GatewayEvent
from application.ports.webhooks import InboxBacklog, InboxEntry, InboxPage, InboxPageRequest, Lease
from domain.errors import NotFoundError
from domain.webhooks import CLAIMABLE, InboxStatus
from infrastructure.persistence.upsert import insert_for
from infrastructure.persistence.webhook_tables import webhook_events as inbox


class SqlWebhookInboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: InboxEntry) -> bool:
        insert = insert_for(self._session, inbox).values(**_to_row(entry))
        statement = insert.on_conflict_do_nothing(index_elements=["event_id"])
        return await self._changed(statement)

    async def get(self, event_id: str) -> InboxEntry:
        row = (await self._session.execute(select(inbox).where(inbox.c.event_id == event_id))).first()
        if row is None:
            raise NotFoundError("webhook event", event_id)
        return _from_row(row)

    async def due(self, now: datetime, limit: int) -> list[str]:
        statement = (
            select(inbox.c.event_id)
            .where(_claimable(now))
            .order_by(inbox.c.next_attempt_at, inbox.c.event_id)
            .limit(limit)
        )
        return list((await self._session.execute(statement)).scalars())

    async def claim(self, event_id: str, now: datetime, lease: Lease) -> InboxEntry | None:
        statement = update(inbox).where(inbox.c.event_id == event_id, _claimable(now)).values(**_lease(lease))
        return await self.get(event_id) if await self._changed(statement) else None

    async def replay(self, event_id: str, now: datetime, lease: Lease) -> InboxEntry | None:
        statement = (
            update(inbox)
            .where(inbox.c.event_id == event_id, _unleased(now))
            .values(status=InboxStatus.RECEIVED.value, attempts=0, next_attempt_at=now, updated_at=now, **_lease(lease))
        )
        if await self._changed(statement):
            return await self.get(event_id)
        await self.get(event_id)  # NotFoundError when there is no such event at all
        return None

    async def finish(self, entry: InboxEntry) -> bool:
        if entry.lease is None:
            raise ValueError("only a claimed entry can be finished")
        row = _to_row(entry)
        state = {key: row[key] for key in ("status", "attempts", "last_error", "updated_at", "next_attempt_at")}
        statement = (
            update(inbox)
            .where(inbox.c.event_id == entry.event_id, inbox.c.lease_token == entry.lease.token)
            .values(**state, lease_token=None, locked_until=None)
        )
        return await self._changed(statement)

    async def list(self, status: InboxStatus | None, page: InboxPageRequest) -> InboxPage:
        statement = select(inbox).where(_after(page))
        if status is not None:
            statement = statement.where(inbox.c.status == status.value)
        statement = statement.order_by(inbox.c.received_at, inbox.c.event_id).limit(page.limit + 1)
        items = [_from_row(row) for row in (await self._session.execute(statement)).all()]
        if len(items) <= page.limit:
            return InboxPage(items)
        items = items[: page.limit]
        return InboxPage(items, (items[-1].received_at, items[-1].event_id))

    async def backlog(self, now: datetime) -> InboxBacklog:
        # Two aggregates rather than one pass over the table (events are never deleted), both
        # served by the (status, received_at) index.
        waiting = inbox.c.status.in_([status.value for status in CLAIMABLE])
        due = or_(inbox.c.next_attempt_at.is_(None), inbox.c.next_attempt_at <= now)
        oldest = await self._session.scalar(select(func.min(inbox.c.received_at)).where(waiting, due))
        dead_only = inbox.c.status == InboxStatus.DEAD.value
        dead = await self._session.scalar(select(func.count()).select_from(inbox).where(dead_only))
        return InboxBacklog(oldest, int(dead or 0))

    async def _changed(self, statement: Any) -> bool:
        result = await self._session.execute(statement)
        return bool(result.rowcount == 1)


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(inbox.c.locked_until.is_(None), inbox.c.locked_until < now)


def _claimable(now: datetime) -> ColumnElement[bool]:
    statuses = [status.value for status in CLAIMABLE]
    return and_(inbox.c.status.in_(statuses), inbox.c.next_attempt_at <= now, _unleased(now))


def _after(page: InboxPageRequest) -> ColumnElement[bool]:
    if page.after is None:
        return and_(True)
    received_at, event_id = page.after
    later = and_(inbox.c.received_at == received_at, inbox.c.event_id > event_id)
    return or_(inbox.c.received_at > received_at, later)


def _lease(lease: Lease) -> dict[str, Any]:
    return {"lease_token": lease.token, "locked_until": lease.until}


def _to_row(entry: InboxEntry) -> dict[str, Any]:
    event = entry.event
    created = event.created if event.created.tzinfo else event.created.replace(tzinfo=UTC)
    return {
        "event_id": event.id,
        "event_type": event.type,
        "event_created": created,
        "payload": dict(event.object),
        "status": entry.status.value,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "received_at": entry.received_at,
        "updated_at": entry.updated_at,
        "next_attempt_at": entry.next_attempt_at,
        **(_lease(entry.lease) if entry.lease else {"lease_token": None, "locked_until": None}),
    }


def _from_row(row: Any) -> InboxEntry:
    lease = None if row.lease_token is None else Lease(row.lease_token, row.locked_until)
    return InboxEntry(
        event=GatewayEvent(row.event_id, row.event_type, row.event_created, row.payload),
        status=InboxStatus(row.status),
        attempts=row.attempts,
        received_at=row.received_at,
        updated_at=row.updated_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        lease=lease,
    )
