"""Listing ownership and the sales report's reads, in SQL."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.repositories import PageRequest
from domain.bookings import BookingStatus
from domain.ledger import AccountKind, Side
from domain.listings import Listing
from domain.ownership import ListingOwner, OwnerSubject
from domain.sales import REPORTED_ACCOUNTS, LedgerMovement, UnitsSold
from infrastructure.persistence.ledger_tables import ledger_entries, ledger_transactions
from infrastructure.persistence.mappers import listing_from_row
from infrastructure.persistence.ownership_tables import listing_owners
from infrastructure.persistence.repositories import _paged
from infrastructure.persistence.tables import booking_transitions, bookings, listings
from infrastructure.persistence.upsert import insert_for


class SqlListingOwnerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, owner: ListingOwner) -> bool:
        row = {
            "listing_id": owner.listing_id,
            "subject": str(owner.subject),
            "tenant_id": owner.tenant_id,
            "created_at": owner.created_at,
        }
        statement = (
            insert_for(self._session, listing_owners)
            .values(**row)
            .on_conflict_do_nothing()
            .returning(listing_owners.c.listing_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def remove(self, tenant_id: UUID, listing_id: UUID, subject: OwnerSubject) -> bool:
        o = listing_owners.c
        statement = delete(listing_owners).where(
            o.tenant_id == tenant_id, o.listing_id == listing_id, o.subject == str(subject)
        )
        return bool((await self._session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def of_listing(self, tenant_id: UUID, listing_id: UUID) -> list[ListingOwner]:
        o = listing_owners.c
        statement = (
            select(listing_owners)
            .where(o.tenant_id == tenant_id, o.listing_id == listing_id)
            .order_by(o.created_at, o.subject)
        )
        return [_owner(row) for row in (await self._session.execute(statement)).all()]

    async def listing_ids(self, tenant_id: UUID, subject: OwnerSubject) -> frozenset[UUID]:
        o = listing_owners.c
        statement = select(o.listing_id).where(o.tenant_id == tenant_id, o.subject == str(subject))
        return frozenset((await self._session.execute(statement)).scalars().all())

    async def listings(
        self, tenant_id: UUID, subject: OwnerSubject, limit: int, after: tuple[datetime, UUID] | None
    ) -> list[Listing]:
        o = listing_owners.c
        owned = (
            select(listings)
            .join(listing_owners, o.listing_id == listings.c.id)
            .where(listings.c.tenant_id == tenant_id, o.tenant_id == tenant_id, o.subject == str(subject))
        )
        statement = _paged(owned, listings, PageRequest(limit, after)).limit(limit)
        return [listing_from_row(row) for row in (await self._session.execute(statement)).all()]


def _owner(row: Any) -> ListingOwner:
    return ListingOwner(row.tenant_id, row.listing_id, OwnerSubject.parse(row.subject), row.created_at)


class SqlSalesRepository:
    """Rows are summed in the domain (``domain.sales``), not in SQL: a UTC day of a timestamp is
    spelled differently on SQLite and Postgres, and one report reads a bounded window."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def movements(
        self, tenant_id: UUID, start: datetime, end: datetime, listing_ids: Set[UUID] | None
    ) -> list[LedgerMovement]:
        t, e, b = ledger_transactions.c, ledger_entries.c, bookings.c
        statement = (
            select(b.listing_id, t.created_at, e.account_kind, e.side, e.amount, e.currency)
            .select_from(ledger_transactions)
            .join(ledger_entries, e.transaction_id == t.id)
            .join(bookings, b.id == t.booking_id)
            .where(
                t.tenant_id == tenant_id,
                b.tenant_id == tenant_id,
                t.created_at >= start,
                t.created_at < end,
                e.account_kind.in_([kind.value for kind in REPORTED_ACCOUNTS]),
                *_listing_in(b.listing_id, listing_ids),
            )
        )
        return [
            LedgerMovement(
                row.listing_id, row.created_at, AccountKind(row.account_kind), Side(row.side), row.amount, row.currency
            )
            for row in (await self._session.execute(statement)).all()
        ]

    async def units_sold(
        self, tenant_id: UUID, start: datetime, end: datetime, listing_ids: Set[UUID] | None
    ) -> list[UnitsSold]:
        b, h = bookings.c, booking_transitions.c
        statement = (
            select(b.listing_id, h.at, b.lines, b.currency)
            .select_from(booking_transitions)
            .join(bookings, b.id == h.booking_id)
            .where(
                b.tenant_id == tenant_id,
                h.to_status == BookingStatus.CONFIRMED.value,
                h.at >= start,
                h.at < end,
                *_listing_in(b.listing_id, listing_ids),
            )
        )
        return [
            UnitsSold(row.listing_id, row.at, sum(int(line["quantity"]) for line in row.lines), row.currency)
            for row in (await self._session.execute(statement)).all()
        ]


def _listing_in(column: Any, listing_ids: Set[UUID] | None) -> list[Any]:
    return [] if listing_ids is None else [column.in_(sorted(listing_ids))]
