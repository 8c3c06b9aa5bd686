"""The tenant's audit log: ``GET /v1/admin/audit-logs`` (admins and accountants)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from application.ports.audit import AuditEntry, AuditFilter
from application.use_cases.list_audit_logs import ListAuditLogsHandler
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request
from interfaces.http.text import LINE_PATTERN

# Named ``actor`` in the query; ``actor`` is the /v1 router's dependency (who is asking).
_Actor = Annotated[str | None, QueryParameter(name="actor", min_length=1, max_length=200, pattern=LINE_PATTERN)]
_Name = Annotated[str | None, QueryParameter(min_length=1, max_length=64, pattern=r"^[a-z_]+(\.[a-z_]+)*$")]
_EntityId = Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=LINE_PATTERN)]


class AuditLogOut(msgspec.Struct):
    """One recorded write; ``before``/``after`` are summaries with personal data masked."""

    id: str
    occurred_at: datetime
    actor: str
    role: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None
    user_agent: str | None
    correlation_id: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditLogOut:
        return cls(
            str(entry.id),
            entry.occurred_at,
            entry.actor,
            entry.role,
            entry.action,
            entry.entity_type,
            entry.entity_id,
            None if entry.before is None else dict(entry.before),
            None if entry.after is None else dict(entry.after),
            entry.ip,
            entry.user_agent,
            entry.correlation_id,
        )


class AuditLogPage(msgspec.Struct):
    items: list[AuditLogOut]
    next_cursor: str | None


class AuditLogController(Controller):
    path = "/admin/audit-logs"
    tags = ["audit"]

    @get(
        "/",
        dependencies={"list_audit_logs": use_case("list_audit_logs")},
        responses=problems("validation_failed"),
        opt={"permission": "audit:read"},
    )
    async def index(
        self,
        tenant: NamedDependency[Tenant],
        list_audit_logs: NamedDependency[ListAuditLogsHandler],
        by_actor: _Actor = None,
        entity_type: _Name = None,
        entity_id: _EntityId = None,
        action: _Name = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> AuditLogPage:
        """The tenant's audit log, oldest first, a page at a time (``limit`` + ``cursor``),
        filtered by ``actor`` (e.g. ``key:<uuid>``), ``entity_type`` + ``entity_id``, ``action``
        (e.g. ``booking.refund``) and time (``since`` inclusive, ``until`` exclusive)."""
        where = AuditFilter(by_actor, entity_type, entity_id, action, since, until)
        page = await list_audit_logs(tenant.id, where, page_request(limit, cursor))
        return AuditLogPage([AuditLogOut.of(item) for item in page.items], encode_cursor(page.next_after))
