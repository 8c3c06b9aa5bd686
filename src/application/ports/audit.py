"""Audit log ports: recording a write in its own transaction, reading the log, keeping it bounded.

Every write a use case makes is recorded once, through ``UnitOfWork.audit``, before the unit of
work commits: the write and its audit row commit together or not at all. A recording is one
line in the use case::

    await uow.audit.record("listing.create", "listing", listing.id, after={"kind": listing.kind})

Actions are stable names, ``<entity>.<verb>`` (``listing.create``, ``pool.resize``,
``booking.refund``, ``hold.release``, ``api_key.revoke``, ...): clients filter by them.
``before`` and ``after`` are small summaries (what changed, not the whole entity); personal
and card data in them is masked before the row is written (emails keep their first character
and domain, card numbers their last four, names, phone numbers and secrets become ``***``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

if TYPE_CHECKING:  # repositories.py names this module's port on the unit of work
    from application.ports.repositories import Page, PageRequest

from application.audit import AuditContext

Summary = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded write, as stored (summaries already masked)."""

    id: UUID
    tenant_id: UUID | None
    occurred_at: datetime
    actor: str
    role: str
    action: str
    entity_type: str
    entity_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    ip: str | None
    user_agent: str | None
    correlation_id: str | None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


class AuditRepository(Protocol):
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
        """Adds one audit row in the unit of work's transaction, attributed to the current
        ``AuditContext`` (``application.audit``) at the current time. ``tenant_id`` defaults to
        the context's tenant; jobs and commands, which act for no one tenant, name it.
        ``context`` and ``at``: a write recorded on someone else's behalf (a booking written in
        another request's group, a journaled hold: its placer, when it was placed)."""
        ...

    async def list(self, tenant_id: UUID, where: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        """The tenant's rows, oldest first, a page at a time (keyset on ``occurred_at``, ``id``)."""
        ...


class AuditMaintenance(Protocol):
    async def maintain(self, now: datetime, keep_before: datetime) -> dict[str, int]:
        """Makes room ahead for the log's next rows and forgets those before ``keep_before``.

        On Postgres the log is partitioned by month: partitions for this month and the next
        ones are created ahead, and whole partitions that end by ``keep_before`` are dropped
        (never row deletes). On SQLite, rows before ``keep_before`` are deleted. Returns counts
        of what it did (``created``, ``dropped``, ``deleted``)."""
        ...
