"""Sales reports: ``GET /v1/reports/sales`` as JSON or CSV (``reports:read``)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from application.use_cases.sales_report import SalesReport, SalesReportHandler
from domain.identity import Actor
from domain.ownership import OwnerSubject
from domain.permissions import Permission
from domain.roles import Role
from domain.sales import SalesRow
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.permissions import requires
from interfaces.http.public_schemas import SalesReportOut, SalesRowOut

DEFAULT_DAYS = 30
CSV_COLUMNS = ("day", "listing_id", "currency", "units", "gross", "refunds", "fees", "net")
FirstDay = Annotated[date | None, QueryParameter(name="from", description="the first UTC day, YYYY-MM-DD")]
LastDay = Annotated[date | None, QueryParameter(name="to", description="the last UTC day (included), YYYY-MM-DD")]


def csv_of(rows: list[SalesRow]) -> str:
    """The rows as CSV (RFC 4180: a header row, CRLF line ends, fields quoted when needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.day.isoformat() if row.day else "",
                row.listing_id,
                row.currency,
                row.units,
                row.gross,
                row.refunds,
                row.fees,
                row.net,
            )
        )
    return out.getvalue()


class ReportController(Controller):
    path = "/reports"
    tags = ["reports"]

    @get(
        "/sales",
        opt=requires(Permission.REPORTS_READ),
        dependencies={"sales_report": use_case("sales_report")},
        responses=problems("not_found"),
        response_headers=[
            ResponseHeader(
                name="Content-Disposition",
                description="with format=csv: attachment; filename=sales-<from>-<to>.csv",
                documentation_only=True,
            )
        ],
    )
    async def sales(
        self,
        actor: NamedDependency[Actor],
        now: NamedDependency[datetime],
        sales_report: NamedDependency[SalesReportHandler],
        first_day: FirstDay = None,
        last_day: LastDay = None,
        listing_id: FromQuery[UUID | None] = None,
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[SalesReportOut]:
        """Sales per listing, UTC day and currency from ``from`` to ``to`` (both included; by
        default the 30 days to today, at most 366): ``units`` (of bookings confirmed that day),
        ``gross`` (revenue earned), ``refunds``, ``fees`` (what the payment provider kept, as
        recorded in the ledger; 0 where it reported none) and ``net = gross - refunds - fees``,
        in minor units. Summed over the rows they equal the ledger's revenue, refunds and fees.
        An owner sees its own listings only (``listing_id`` of another: 404). ``format=csv``:
        ``text/csv`` with a header row, as an attachment."""
        last = last_day or now.astimezone(UTC).date()
        first = first_day or last - timedelta(days=DEFAULT_DAYS - 1)
        owner = OwnerSubject.parse(actor.subject) if actor.role is Role.OWNER else None
        rows = await sales_report(SalesReport(actor.tenant.id, first, last, listing_id, owner))
        if format == "csv":
            disposition = f'attachment; filename="sales-{first.isoformat()}-{last.isoformat()}.csv"'
            return Response(
                content=csv_of(rows).encode(),
                media_type="text/csv",
                headers={"Content-Disposition": disposition},
            )
        return Response(SalesReportOut(first, last, [SalesRowOut.of(row) for row in rows]))
