"""Reconciliations for operators (/v1/ops/reconciliations): start one, follow it, read its report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from application.use_cases.get_reconciliation import MAX_RECENT, GetReconciliationHandler
from application.use_cases.start_reconciliation import StartReconciliation, StartReconciliationHandler
from domain.reconciliation import (
    Finding,
    FindingKind,
    Reconciliation,
    ReconciliationKind,
    ReconciliationScope,
    ReconciliationStatus,
)
from interfaces.http.dependencies import API_KEY_HEADER, use_case
from interfaces.http.openapi import problems
from interfaces.http.schemas import Input

Recent = Annotated[int, QueryParameter(ge=1, le=MAX_RECENT, description="runs to return, newest first")]
PATH = "/v1/ops/reconciliations"


class ReconciliationIn(Input):
    kind: ReconciliationKind
    tenant_id: UUID | None = None
    listing_id: UUID | None = None
    repair: bool = False


class FindingOut(msgspec.Struct):
    subject: str
    field: str
    expected: str | int | None
    actual: str | int | None
    detail: str
    difference: int | None
    currency: str | None
    repaired: bool
    kind: FindingKind  # drift, or overbooked (a pool sold into its allowance: a report, not drift)

    @classmethod
    def of(cls, finding: Finding) -> FindingOut:
        return cls(**{name: getattr(finding, name) for name in cls.__struct_fields__})


class ReconciliationOut(msgspec.Struct):
    id: UUID
    kind: ReconciliationKind
    tenant_id: UUID | None
    listing_id: UUID | None
    repair: bool
    status: ReconciliationStatus
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    checked: int
    total: int | None
    drift: int  # findings left unrepaired
    findings: list[FindingOut]
    error: str | None
    overbooked: int  # pools held or sold beyond their physical capacity (findings of kind overbooked)

    @classmethod
    def of(cls, run: Reconciliation) -> ReconciliationOut:
        return cls(
            run.id,
            run.kind,
            run.scope.tenant_id,
            run.scope.listing_id,
            run.repair,
            run.status,
            run.requested_by,
            run.created_at,
            run.started_at,
            run.finished_at,
            run.checked,
            run.total,
            run.drift,
            [FindingOut.of(finding) for finding in run.findings],
            run.error,
            run.overbooked,
        )


async def _operator_name(request: Request[Any, Any, Any]) -> str:
    authorize = request.app.state.container.use_cases.authorize_operator()
    principal = await authorize(request.headers.get(API_KEY_HEADER))
    return f"operator:{principal.tenant.name}"


class ReconciliationOpsController(Controller):
    path = "/reconciliations"
    tags = ["ops"]

    @post(
        "/",
        status_code=202,
        dependencies={"start_reconciliation": use_case("start_reconciliation")},
        responses=problems("forbidden"),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ReconciliationIn],
        start_reconciliation: NamedDependency[StartReconciliationHandler],
    ) -> Response[ReconciliationOut]:
        """Queue a reconciliation: ``inventory`` (engine counters against Postgres; ``repair`` rebuilds
        them from Postgres) or ``payments`` (bookings and the ledger against the gateway; report only).
        Follow it at the ``Location`` given."""
        scope = ReconciliationScope(data.tenant_id, data.listing_id)
        command = StartReconciliation(data.kind, scope, data.repair, await _operator_name(request))
        run = await start_reconciliation(command)
        return Response(ReconciliationOut.of(run), status_code=202, headers={"Location": f"{PATH}/{run.id}"})

    @get(
        "/{reconciliation_id:uuid}",
        dependencies={"get_reconciliation": use_case("get_reconciliation")},
        responses=problems("forbidden", "not_found"),
    )
    async def show(
        self, reconciliation_id: FromPath[UUID], get_reconciliation: NamedDependency[GetReconciliationHandler]
    ) -> ReconciliationOut:
        """A run: its status, progress (``checked`` of ``total``), findings and drift (unrepaired findings)."""
        return ReconciliationOut.of(await get_reconciliation(reconciliation_id))

    @get("/", dependencies={"get_reconciliation": use_case("get_reconciliation")}, responses=problems("forbidden"))
    async def index(
        self, get_reconciliation: NamedDependency[GetReconciliationHandler], limit: Recent = 20
    ) -> list[ReconciliationOut]:
        """The most recent runs, newest first."""
        return [ReconciliationOut.of(run) for run in await get_reconciliation.recent(limit)]
