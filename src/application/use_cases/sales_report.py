"""Sales per listing and per day, from the ledger and the bookings (``domain.sales``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.owner_reads import owned
from domain.errors import InvalidValueError
from domain.ownership import OwnerSubject
from domain.sales import SalesRow, sales_by_day

MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class SalesReport:
    tenant_id: UUID
    first_day: date  # UTC days, both included
    last_day: date
    listing_id: UUID | None = None  # one listing, else all (the owner's: all it owns)
    owner: OwnerSubject | None = None  # set for the owner role: only its own listings


class SalesReportHandler:
    """One row per listing, UTC day and currency with any sale or money in the range; the
    rows' sums equal the ledger's ``revenue``, ``refunds`` and ``stripe_fees`` balances over the
    same days. At most ``MAX_DAYS`` days, the first not after the last. An owner sees only
    the listings it owns (none: no rows); a listing it does not own, or another tenant's, is
    not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, report: SalesReport) -> list[SalesRow]:
        start, end = _window(report.first_day, report.last_day)
        async with self._uow() as uow:
            if report.listing_id is not None:
                await uow.listings.get(report.tenant_id, report.listing_id)  # the tenant's, else 404
            ids = None if report.owner is None else await owned(uow, report.tenant_id, report.owner, report.listing_id)
            if ids is None and report.listing_id is not None:
                ids = frozenset({report.listing_id})
            if ids is not None and not ids:
                return []
            movements = await uow.sales.movements(report.tenant_id, start, end, ids)
            sold = await uow.sales.units_sold(report.tenant_id, start, end, ids)
        return sales_by_day(movements, sold)


def _window(first: date, last: date) -> tuple[datetime, datetime]:
    if last < first:
        raise InvalidValueError("to", "must not be before from")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidValueError("to", f"a report covers at most {MAX_DAYS} days")
    return datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)
