"""SQL repositories of the hold journal and of reconciliation runs (Postgres and SQLite)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.hold_list import HoldFilter
from application.ports.jobs import RefusedItem
from application.ports.journal import JournaledHold
from application.ports.repositories import Page, PageRequest
from domain.errors import NotFoundError
from domain.inventory import Hold, HoldLine, HoldStatus
from domain.reconciliation import (
    Finding,
    FindingKind,
    Reconciliation,
    ReconciliationKind,
    ReconciliationScope,
    ReconciliationStatus,
)
from infrastructure.persistence.database import Database
from infrastructure.persistence.hold_filters import hold_filters
from infrastructure.persistence.isolation import write_isolating
from infrastructure.persistence.journal_tables import hold_journal, hold_journal_cursors, reconciliations
from infrastructure.persistence.repositories import _page_of, _paged
from infrastructure.persistence.upsert import chunks, insert_for


class SqlJournalHoldList:
    """``HoldList`` of the redis engine: the hold journal in the system of record, one
    ``journal_holds`` round behind Redis (``application.ports.hold_list`` says why)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def list_holds(self, tenant_id: UUID, where: HoldFilter, page: PageRequest, now: datetime) -> Page[Hold]:
        chosen = select(hold_journal).where(*hold_filters(hold_journal, tenant_id, where, now))
        statement = _paged(chosen, hold_journal, page, hold_journal.c.hold_id)
        async with self._db.reading() as session:
            rows = (await session.execute(statement)).all()
        return _page_of([journal_hold_from_row(row) for row in rows], page.limit)


class SqlHoldJournalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def cursor(self, listing_id: UUID) -> str | None:
        statement = select(hold_journal_cursors.c.last_entry_id).where(hold_journal_cursors.c.listing_id == listing_id)
        return await self._session.scalar(statement)

    async def get(self, hold_ids: Sequence[UUID]) -> Mapping[UUID, JournaledHold]:
        if not hold_ids:
            return {}
        rows = await self._session.execute(select(hold_journal).where(hold_journal.c.hold_id.in_(hold_ids)))
        return {row.hold_id: JournaledHold(journal_hold_from_row(row), row.updated_at) for row in rows}

    async def save(self, holds: Sequence[JournaledHold]) -> list[RefusedItem]:
        """Few upserts for the batch (each hold appears once: the caller folds its entries);
        holds the database refuses for their content are left out and returned."""
        rows = [_journal_row(journaled) for journaled in holds]
        return await write_isolating(self._session, rows, self._upsert, lambda row: str(row["hold_id"]))

    async def _upsert(self, rows: list[dict[str, Any]]) -> None:
        for chunk in chunks(rows):
            statement = insert_for(self._session, hold_journal).values(chunk)
            changing = {key: statement.excluded[key] for key in ("status", "updated_at")}
            await self._session.execute(statement.on_conflict_do_update(index_elements=["hold_id"], set_=changing))

    async def advance(self, listing_id: UUID, entry_id: str, now: datetime) -> None:
        row = {"listing_id": listing_id, "last_entry_id": entry_id, "updated_at": now}
        statement = insert_for(self._session, hold_journal_cursors).values(row)
        changing = {"last_entry_id": entry_id, "updated_at": now}
        await self._session.execute(statement.on_conflict_do_update(index_elements=["listing_id"], set_=changing))

    async def active(self, listing_ids: Sequence[UUID] | None, now: datetime) -> list[Hold]:
        statement = select(hold_journal).where(
            hold_journal.c.status == HoldStatus.ACTIVE.value, hold_journal.c.expires_at > now
        )
        if listing_ids is not None:
            statement = statement.where(hold_journal.c.listing_id.in_(listing_ids))
        rows = await self._session.execute(statement.order_by(hold_journal.c.hold_id))
        return [journal_hold_from_row(row) for row in rows]


def _journal_row(journaled: JournaledHold) -> dict[str, Any]:
    hold = journaled.hold
    return {
        "hold_id": hold.id,
        "tenant_id": hold.tenant_id,
        "listing_id": hold.listing_id,
        "customer_ref": hold.customer_ref,
        "lines": [
            {"pool_id": str(line.pool_id), "quantity": line.quantity, "unit_price": line.unit_price}
            for line in hold.lines
        ],
        "units": hold.quantity,
        "currency": hold.currency,
        "status": hold.status.value,
        "created_at": hold.created_at,
        "expires_at": hold.expires_at,
        "updated_at": journaled.updated_at,
    }


def journal_hold_from_row(row: Any) -> Hold:
    return Hold(
        id=row.hold_id,
        tenant_id=row.tenant_id,
        listing_id=row.listing_id,
        customer_ref=row.customer_ref,
        lines=tuple(HoldLine(UUID(line["pool_id"]), line["quantity"], line["unit_price"]) for line in row.lines),
        currency=row.currency,
        created_at=row.created_at,
        expires_at=row.expires_at,
        status=HoldStatus(row.status),
    )


class SqlReconciliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, reconciliation: Reconciliation) -> None:
        await self._session.execute(reconciliations.insert().values(_reconciliation_row(reconciliation)))

    async def get(self, reconciliation_id: UUID) -> Reconciliation:
        statement = select(reconciliations).where(reconciliations.c.id == reconciliation_id)
        row = (await self._session.execute(statement)).first()
        if row is None:
            raise NotFoundError("reconciliation", reconciliation_id)
        return _reconciliation_from_row(row)

    async def save(self, reconciliation: Reconciliation) -> None:
        row = _reconciliation_row(reconciliation)
        state = {key: row[key] for key in ("status", "started_at", "finished_at", "checked", "total", "findings")}
        statement = update(reconciliations).where(reconciliations.c.id == reconciliation.id)
        if (await self._session.execute(statement.values(**state, error=row["error"]))).rowcount != 1:
            raise NotFoundError("reconciliation", reconciliation.id)

    async def recent(self, limit: int) -> list[Reconciliation]:
        rows = await self._session.execute(select(reconciliations).order_by(*_NEWEST_FIRST).limit(limit))
        return [_reconciliation_from_row(row) for row in rows]

    async def latest_succeeded(self, kind: ReconciliationKind) -> Reconciliation | None:
        c = reconciliations.c
        succeeded = (c.kind == kind.value) & (c.status == ReconciliationStatus.SUCCEEDED.value)
        row = (
            await self._session.execute(select(reconciliations).where(succeeded).order_by(*_NEWEST_FIRST).limit(1))
        ).first()
        return None if row is None else _reconciliation_from_row(row)


_NEWEST_FIRST = (reconciliations.c.created_at.desc(), reconciliations.c.id.desc())


def _reconciliation_row(run: Reconciliation) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind.value,
        "tenant_id": run.scope.tenant_id,
        "listing_id": run.scope.listing_id,
        "repair": run.repair,
        "status": run.status.value,
        "requested_by": run.requested_by,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "checked": run.checked,
        "total": run.total,
        "findings": [asdict(finding) for finding in run.findings],
        "error": run.error,
    }


def _finding(stored: dict[str, Any]) -> Finding:
    # Findings stored before findings had a kind were all drift.
    return Finding(**{**stored, "kind": FindingKind(stored.get("kind", FindingKind.DRIFT))})


def _reconciliation_from_row(row: Any) -> Reconciliation:
    return Reconciliation(
        id=row.id,
        kind=ReconciliationKind(row.kind),
        scope=ReconciliationScope(row.tenant_id, row.listing_id),
        repair=row.repair,
        requested_by=row.requested_by,
        created_at=row.created_at,
        status=ReconciliationStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        checked=row.checked,
        total=row.total,
        findings=[_finding(finding) for finding in row.findings],
        error=row.error,
    )
