"""The ``HoldFilter`` of ``GET /v1/holds`` as SQL, for both tables that hold holds (the sql
engine's ``inventory_holds`` and the redis engine's ``hold_journal``): one translation."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_

from application.ports.hold_list import HoldFilter
from domain.inventory import HoldStatus

_ACTIVE = HoldStatus.ACTIVE.value


def hold_filters(table: Any, tenant_id: UUID, where: HoldFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The tenant's holds matching ``where``; ``status`` as ``Hold.status_at(now)`` reads it."""
    clauses: list[ColumnElement[bool]] = [table.c.tenant_id == tenant_id]
    if where.listing_id is not None:
        clauses.append(table.c.listing_id == where.listing_id)
    if where.customer_ref is not None:
        clauses.append(table.c.customer_ref == where.customer_ref)
    if where.status is not None:
        clauses.append(_status(table, where.status, now))
    return clauses


def _status(table: Any, status: HoldStatus, now: datetime) -> ColumnElement[bool]:
    due = and_(table.c.status == _ACTIVE, table.c.expires_at <= now)
    if status is HoldStatus.ACTIVE:
        return and_(table.c.status == _ACTIVE, table.c.expires_at > now)
    if status is HoldStatus.EXPIRED:
        return or_(table.c.status == HoldStatus.EXPIRED.value, due)
    return table.c.status == status.value
