"""List a tenant's audit log, filtered, a page at a time."""

from __future__ import annotations

from uuid import UUID

from application.ports.audit import AuditEntry, AuditFilter
from application.ports.repositories import Page, PageRequest, UnitOfWorkFactory
from domain.errors import InvalidValueError


class ListAuditLogsHandler:
    """Rules:

    * a tenant reads its own rows only (the rows of writes made for it, by whoever);
    * oldest first by ``occurred_at`` then id, keyset-paginated: pages stay stable while rows
      are added;
    * ``since`` is inclusive, ``until`` exclusive, both with a time zone, and ``since`` before
      ``until`` when both are given (else ``InvalidValueError``: nothing to list is a mistake).
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, where: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        for field, moment in (("since", where.since), ("until", where.until)):
            if moment is not None and moment.utcoffset() is None:
                raise InvalidValueError(field, "must carry a time zone, e.g. 2030-01-01T00:00:00Z")
        if where.since is not None and where.until is not None and where.since >= where.until:
            raise InvalidValueError("until", "must be after since")
        async with self._uow() as uow:
            return await uow.audit.list(tenant_id, where, page)
