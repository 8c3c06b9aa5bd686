"""The audit log on the system of record: rows recorded in the writer's transaction, and the
tenant's list. Its partitions and retention are ``audit_partitions``'s."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from application.audit import AuditContext, current_audit_context, hold_summary
from application.ports.audit import AuditEntry, AuditFilter, Summary
from application.ports.clock import Clock
from application.ports.repositories import Page, PageRequest
from domain.inventory import Hold
from domain.text import printable
from infrastructure.log_masking import mask_value
from infrastructure.persistence.audit_tables import audit_logs
from infrastructure.persistence.repositories import _page_of, _paged

_COUNTER = itertools.count(random.getrandbits(62))


def ordered_id() -> UUID:
    """An id that grows with each row this process records (the real time in its high bits, a
    counter below): rows of one instant of the (possibly fake) clock list in the order they
    were recorded, and the list's keyset (occurred_at, id) keeps that order."""
    millis = time.time_ns() // 1_000_000
    return UUID(int=((millis & (2**48 - 1)) << 80) | (next(_COUNTER) & (2**80 - 1)))


_LIMITS = {"actor": 200, "ip": 64, "user_agent": 400, "correlation_id": 200, "entity_id": 200}


class SqlAuditRepository:
    """Rows wait in memory until the unit of work commits, then go in one multi-row INSERT just
    before the COMMIT: a transaction that records several writes (a group of bookings, a
    journal batch) pays one statement for all of them, and a rolled-back one wrote none."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session, self._clock = session, clock
        self._rows: list[dict[str, Any]] = []

    async def record(
        self,
        action: str,
        entity_type: str,
        entity_id: UUID | str,
        *,
        before: Summary | None = None,
        after: Summary | None = None,
        tenant_id: UUID | None = None,
        context: AuditContext | None = None,
        at: datetime | None = None,
    ) -> None:
        """``context`` and ``at`` for a write recorded on someone else's behalf (a journaled
        hold: its placer, when it was placed); by default the current context and now."""
        who = context or current_audit_context()
        at = at or self._clock.now()
        self._rows.append(audit_row(who, at, action, entity_type, entity_id, before, after, tenant_id))

    async def flush(self) -> None:
        """Writes the recorded rows (the unit of work calls it right before committing)."""
        if self._rows:
            rows, self._rows = self._rows, []
            await self._session.execute(insert(audit_logs), rows)

    async def list(self, tenant_id: UUID, where: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        statement = select(audit_logs).where(audit_logs.c.tenant_id == tenant_id, *_filters(where))
        rows = (await self._session.execute(_paged(statement, audit_logs, page, at="occurred_at"))).all()
        return _page_of([AuditEntry(**row._mapping) for row in rows], page.limit, at="occurred_at")


def audit_row(
    who: AuditContext,
    at: datetime,
    action: str,
    entity_type: str,
    entity_id: UUID | str,
    before: Summary | None = None,
    after: Summary | None = None,
    tenant_id: UUID | None = None,
) -> dict[str, Any]:
    """One ``audit_logs`` row, summaries masked, client text cut to its column."""
    row = {
        "id": ordered_id(),
        "occurred_at": at,
        "tenant_id": tenant_id or who.tenant_id,
        "actor": who.actor,
        "role": who.role,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": masked_summary(before),
        "after": masked_summary(after),
        "ip": who.ip,
        "user_agent": who.user_agent,
        "correlation_id": who.correlation_id,
    }
    return _bounded(row)


def hold_placed_row(hold: Hold) -> dict[str, Any]:
    """The ``hold.place`` row of a hold the SQL engine places, by the current context: written
    by the engine in the hold's own transaction (no round trip of its own)."""
    return audit_row(
        current_audit_context(),
        hold.created_at,
        "hold.place",
        "hold",
        hold.id,
        after=hold_summary(hold),
        tenant_id=hold.tenant_id,
    )


def _filters(where: AuditFilter) -> list[Any]:
    found: list[Any] = []
    for column in ("actor", "entity_type", "entity_id", "action"):
        value = getattr(where, column)
        if value is not None:
            found.append(audit_logs.c[column] == value)
    if where.since is not None:
        found.append(audit_logs.c.occurred_at >= where.since)
    if where.until is not None:
        found.append(audit_logs.c.occurred_at < where.until)
    return found


def masked_summary(summary: Summary | None) -> dict[str, Any] | None:
    """The summary as JSON values, with personal and card data masked by the log's rules
    (``log_masking``: by key, and emails, card numbers and secrets in any text). Masked first,
    while ids and times are still objects the text patterns pass over (a UUID's digits are
    not a card's)."""
    if summary is None:
        return None
    plain: dict[str, Any] = _plain(mask_value({str(key): value for key, value in summary.items()}))
    return plain


_JSON_SCALARS = frozenset({int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str:  # storable whatever a client sent (a NUL is refused by Postgres)
        return value if value.isprintable() else printable(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is UUID:
        return str(value)
    if kind is dict:
        return {str(key): _plain(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return [_plain(item) for item in value]
    return _plain(str(value))


def _bounded(row: dict[str, Any]) -> dict[str, Any]:
    """Client-given text (a user agent) cut to its column's width: an audit row never refuses
    the write it records."""
    for column, width in _LIMITS.items():
        value = row[column]
        if isinstance(value, str) and len(value) > width:
            row[column] = value[:width]
    return row
