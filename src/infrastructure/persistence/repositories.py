"""SQL repositories of the system of record, mapping rows to domain objects and back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.listing_search import ListingSearch, ListingSearchPage, sort_key
from application.ports.repositories import ApiKeyRecord, BookingFilter, Page, PageRequest
from domain.bookings import AWAITING_PAYMENT, Booking, BookingStatus, Transition
from domain.errors import ConflictError, DuplicateError, InsufficientInventoryError, NotFoundError
from domain.listings import Listing, Pool
from domain.reconciliation import ReconciliationScope
from domain.refunds import RefundState
from domain.roles import Role
from domain.tenants import KeyHolder, Tenant
from infrastructure.persistence.api_keys import key_active_at, key_record, managed_key_of
from infrastructure.persistence.listing_search import search_statement
from infrastructure.persistence.mappers import (
    booking_from_row,
    booking_to_row,
    listing_from_row,
    listing_to_row,
    payment_to_row,
    pool_from_row,
    pool_to_row,
    queue_to_row,
    transition_from_row,
    transition_to_row,
)
from infrastructure.persistence.pg_arrays import columns_of, unnest_insert
from infrastructure.persistence.tables import (
    api_keys,
    booking_transitions,
    bookings,
    listings,
    pools,
    refunds,
    tenants,
)
from infrastructure.persistence.upsert import insert_for


def _after(table: Any, page: PageRequest, ident: Any = None, at: str = "created_at") -> Any:
    if page.after is None:
        return and_(True)
    ident = table.c.id if ident is None else ident
    moment, after = page.after
    return or_(table.c[at] > moment, and_(table.c[at] == moment, ident > after))


def _paged(
    statement: Select[Any], table: Any, page: PageRequest, ident: Any = None, at: str = "created_at"
) -> Select[Any]:
    """``statement`` a page at a time, by (``at``, id): ``at`` is the time column a table is
    ordered by (``created_at``; the audit log's ``occurred_at``), ``ident`` for a table whose id
    column is named otherwise (the hold journal's ``hold_id``)."""
    ident = table.c.id if ident is None else ident
    return statement.where(_after(table, page, ident, at)).order_by(table.c[at], ident).limit(page.limit + 1)


def _page_of(items: list[Any], limit: int, at: str = "created_at") -> Page[Any]:
    if len(items) <= limit:
        return Page(items)
    items = items[:limit]
    return Page(items, (getattr(items[-1], at), items[-1].id))


class SqlTenantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, tenant: Tenant) -> None:
        values = {"id": tenant.id, "name": tenant.name, "created_at": tenant.created_at}
        await _insert(self._session, tenants, values, f"tenant {tenant.name!r} exists")

    async def get(self, tenant_id: UUID) -> Tenant:
        row = (await self._session.execute(select(tenants).where(tenants.c.id == tenant_id))).first()
        if row is None:
            raise NotFoundError("tenant", tenant_id)
        return Tenant(row.id, row.name, row.created_at)

    async def lock(self, tenant_id: UUID) -> None:
        await self._session.execute(_locked(select(tenants.c.id).where(tenants.c.id == tenant_id), tenants))

    async def find_by_name(self, name: str) -> Tenant | None:
        row = (await self._session.execute(select(tenants).where(tenants.c.name == name))).first()
        return None if row is None else Tenant(row.id, row.name, row.created_at)

    async def add_key(self, key: ApiKeyRecord) -> None:
        values = {
            "id": key.id,
            "tenant_id": key.tenant_id,
            "key_hash": key.key_hash,
            "label": key.label,
            "scopes": list(key.scopes),
            "role": key.role.value,
            "created_at": key.created_at,
            "expires_at": key.expires_at,
        }
        await _insert(self._session, api_keys, values, "that API key exists")

    async def holder_for_key(self, key_hash: str, now: datetime) -> KeyHolder | None:
        statement = _holders().where(api_keys.c.key_hash == key_hash, key_active_at(now))
        row = (await self._session.execute(statement)).first()
        return None if row is None else _holder(row)

    async def active_keys(self, now: datetime) -> dict[str, KeyHolder]:
        rows = (await self._session.execute(_holders().where(key_active_at(now)))).all()
        return {row.key_hash: _holder(row) for row in rows}

    async def active_key(self, key_hash: str, now: datetime) -> ApiKeyRecord | None:
        active = (api_keys.c.key_hash == key_hash) & key_active_at(now)
        row = (await self._session.execute(select(api_keys).where(active))).first()
        return None if row is None else key_record(row)

    async def revoke_key(self, key_hash: str, at: datetime) -> bool:
        # Active at ``at``: an earlier end (a grace period already running) is kept.
        still_active = (api_keys.c.key_hash == key_hash) & key_active_at(at)
        result = await self._session.execute(update(api_keys).where(still_active).values(revoked_at=at))
        return bool(result.rowcount)

    async def managed_keys(self, tenant_id: UUID, page: PageRequest, now: datetime) -> Page[ApiKeyRecord]:
        statement = _paged(select(api_keys).where(managed_key_of(tenant_id, now)), api_keys, page)
        return _page_of([key_record(row) for row in (await self._session.execute(statement)).all()], page.limit)

    async def managed_key(self, tenant_id: UUID, key_id: UUID, now: datetime) -> ApiKeyRecord | None:
        statement = select(api_keys).where(api_keys.c.id == key_id, managed_key_of(tenant_id, now))
        row = (await self._session.execute(statement)).first()
        return None if row is None else key_record(row)

    async def revoke_managed_key(self, tenant_id: UUID, key_id: UUID, at: datetime) -> bool:
        mine = (api_keys.c.id == key_id) & managed_key_of(tenant_id, at)
        return bool((await self._session.execute(update(api_keys).where(mine).values(revoked_at=at))).rowcount)


class SqlListingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, listing: Listing) -> None:
        await _insert(self._session, listings, listing_to_row(listing), "listing exists")

    async def get(self, tenant_id: UUID, listing_id: UUID, *, lock: bool = False) -> Listing:
        statement = select(listings).where(listings.c.id == listing_id, listings.c.tenant_id == tenant_id)
        row = (await self._session.execute(_locked(statement, listings) if lock else statement)).first()
        if row is None:
            raise NotFoundError("listing", listing_id)
        return listing_from_row(row)

    async def save_queue(self, listing: Listing) -> None:
        values = {**queue_to_row(listing.queue), "version": listing.version}
        where = (listings.c.id == listing.id) & (listings.c.tenant_id == listing.tenant_id)
        await self._session.execute(update(listings).where(where).values(**values))

    async def queued(self) -> list[Listing]:
        """Every tenant's listings whose queue mode is on (the release job's round)."""
        rows = (await self._session.execute(select(listings).where(listings.c.queue_enabled.is_(True)))).all()
        return [listing_from_row(row) for row in rows]

    async def list(self, tenant_id: UUID, page: PageRequest) -> Page[Listing]:
        statement = _paged(select(listings).where(listings.c.tenant_id == tenant_id), listings, page)
        rows = (await self._session.execute(statement)).all()
        return _page_of([listing_from_row(row) for row in rows], page.limit)

    async def save(self, listing: Listing) -> None:
        row = listing_to_row(listing)
        for fixed in ("id", "tenant_id", "kind", "created_at"):
            del row[fixed]
        mine = (listings.c.id == listing.id) & (listings.c.tenant_id == listing.tenant_id)
        statement = update(listings).where(mine, listings.c.version == listing.version - 1).values(**row)
        if (await self._session.execute(statement)).rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"listing {listing.id} was changed meanwhile; retry")

    async def search(self, tenant_id: UUID, search: ListingSearch) -> ListingSearchPage:
        rows = (await self._session.execute(search_statement(tenant_id, search))).all()
        found = [listing_from_row(row) for row in rows]
        if len(found) <= search.limit:
            return ListingSearchPage(found)
        found = found[: search.limit]
        return ListingSearchPage(found, sort_key(found[-1], search.sort))


class SqlPoolRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, pool: Pool) -> None:
        message = f"listing {pool.listing_id} already has a pool with code {pool.code!r}"
        await _insert(self._session, pools, {**pool_to_row(pool), "sold": 0}, message)

    async def get(self, tenant_id: UUID, pool_id: UUID) -> Pool:
        statement = select(pools).where(pools.c.id == pool_id, pools.c.tenant_id == tenant_id)
        row = (await self._session.execute(statement)).first()
        if row is None:
            raise NotFoundError("pool", pool_id)
        return pool_from_row(row)

    async def for_listing(self, tenant_id: UUID, listing_id: UUID) -> list[Pool]:
        statement = (
            select(pools)
            .where(pools.c.listing_id == listing_id, pools.c.tenant_id == tenant_id)
            .order_by(pools.c.created_at, pools.c.code)
        )
        return [pool_from_row(row) for row in (await self._session.execute(statement)).all()]

    async def page_for_listing(self, tenant_id: UUID, listing_id: UUID, page: PageRequest) -> Page[Pool]:
        mine = select(pools).where(pools.c.listing_id == listing_id, pools.c.tenant_id == tenant_id)
        rows = (await self._session.execute(_paged(mine, pools, page))).all()
        return _page_of([pool_from_row(row) for row in rows], page.limit)

    async def any_exist(self) -> bool:
        return (await self._session.execute(select(pools.c.id).limit(1))).first() is not None

    async def save(self, pool: Pool) -> None:
        statement = (
            update(pools)
            .where(pools.c.id == pool.id, pools.c.version == pool.version - 1)
            .values(
                capacity=pool.capacity,
                overbooking=pool.overbooking,
                name=pool.name,
                unit_price=pool.unit_price.amount,
                archived_at=pool.archived_at,
                version=pool.version,
            )
        )
        try:
            result = await self._session.execute(statement)
        except IntegrityError as exc:
            raise InsufficientInventoryError({pool.id: 0}) from exc
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"pool {pool.id} was changed meanwhile; retry")

    async def record_sold(self, changes: Sequence[tuple[UUID, int]]) -> None:
        # One statement a pool, in a fixed order (two writers never wait on each other crosswise),
        # and no savepoint: a refusal ends the unit of work anyway, so it need not survive it.
        totals: dict[UUID, int] = defaultdict(int)
        for pool_id, delta in changes:
            totals[pool_id] += delta
        for pool_id, delta in sorted(totals.items()):
            statement = update(pools).where(pools.c.id == pool_id).values(sold=pools.c.sold + delta)
            try:
                await self._session.execute(statement)
            except IntegrityError as exc:
                raise InsufficientInventoryError({pool_id: 0}) from exc


class SqlBookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.moved: list[BookingStatus] = []  # the target of every transition written, for the metrics

    async def add(self, booking: Booking) -> None:
        if not await self.add_new([booking]):
            raise DuplicateError(f"hold {booking.hold_id} is booked")

    async def add_new(self, new: Sequence[Booking]) -> set[UUID]:
        # One multi-row INSERT (per column set) that skips a booked hold instead of failing, so
        # neither a savepoint nor a read first is needed; rows in hold order, so two writers of
        # the same holds wait on each other in one order, never crosswise.
        in_order = sorted(new, key=lambda booking: booking.hold_id)
        if self._session.get_bind().dialect.name == "postgresql":
            return await self._add_new_with_history(in_order)
        rows = [booking_to_row(booking) for booking in in_order]
        statement = insert_for(self._session, bookings).on_conflict_do_nothing().returning(bookings.c.id)
        added: set[UUID] = set()
        for group in _same_columns(rows):
            added.update((await self._session.execute(statement, group)).scalars())
        await self._add_transitions([(b.id, b.history, 0) for b in new if b.id in added])
        return added

    async def _add_new_with_history(self, new: Sequence[Booking]) -> set[UUID]:
        """Postgres: the bookings and the history of those inserted, one statement (one round
        trip, whatever the number of bookings: a group of free bookings, issue 9 item 7)."""
        rows = [booking_to_row(booking) for booking in new]
        transitions = [transition_to_row(b.id, n + 1, t) for b in new for n, t in enumerate(b.history)]
        params = {**columns_of(rows, _BOOKING_COLUMNS, "b_"), **columns_of(transitions, _TRANSITION_COLUMNS, "t_")}
        added = set((await self._session.execute(_ADD_WITH_HISTORY, params)).scalars())
        self.moved.extend(t.to_status for b in new if b.id in added for t in b.history)
        return added

    async def get(self, tenant_id: UUID, booking_id: UUID, *, lock: bool = False) -> Booking:
        statement = select(bookings).where(bookings.c.id == booking_id, bookings.c.tenant_id == tenant_id)
        found = await self._load(_locked(statement) if lock else statement)
        if not found:
            raise NotFoundError("booking", booking_id)
        return found[0]

    async def awaiting_payment_due(self, now: datetime, limit: int) -> list[Booking]:
        statuses = [status.value for status in AWAITING_PAYMENT]
        statement = (
            select(bookings)
            .where(bookings.c.status.in_(statuses), bookings.c.payment_due_at <= now)
            .order_by(bookings.c.payment_due_at)
            .limit(limit)
        )
        return await self._load(statement)

    async def get_by_intent(self, intent_id: str, *, lock: bool = False) -> Booking | None:
        """The booking paid by a PaymentIntent, whatever its tenant (webhooks carry no tenant)."""
        statement = select(bookings).where(bookings.c.payment_intent_id == intent_id)
        found = await self._load(_locked(statement) if lock else statement)
        return found[0] if found else None

    async def get_by_hold(self, tenant_id: UUID, hold_id: UUID) -> Booking | None:
        statement = select(bookings).where(bookings.c.hold_id == hold_id, bookings.c.tenant_id == tenant_id)
        found = await self._load(statement)
        return found[0] if found else None

    async def list(self, tenant_id: UUID, where: BookingFilter, page: PageRequest) -> Page[Booking]:
        statement = select(bookings).where(bookings.c.tenant_id == tenant_id, *_booking_filters(where))
        return _page_of(await self._load(_paged(statement, bookings, page)), page.limit)

    async def with_payment(self, scope: ReconciliationScope, page: PageRequest) -> Page[Booking]:
        statement = select(bookings).where(*_with_payment_in(scope))
        return _page_of(await self._load(_paged(statement, bookings, page)), page.limit)

    async def count_with_payment(self, scope: ReconciliationScope) -> int:
        statement = select(func.count()).select_from(bookings).where(*_with_payment_in(scope))
        return int((await self._session.execute(statement)).scalar_one())

    async def save(self, booking: Booking) -> None:
        statement = (
            update(bookings)
            .where(bookings.c.id == booking.id, bookings.c.version == booking.version - 1)
            .values(
                status=booking.status.value,
                payment_status=booking.payment_status.value,
                hold_id=booking.hold_id,
                updated_at=booking.updated_at,
                version=booking.version,
                **payment_to_row(booking.payment),
            )
        )
        result = await self._session.execute(statement)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"booking {booking.id} was changed meanwhile; retry")
        count = select(func.count()).where(booking_transitions.c.booking_id == booking.id)
        stored = (await self._session.execute(count)).scalar_one()
        await self._add_transitions([(booking.id, booking.history[stored:], stored)])

    async def _add_transitions(self, histories: Sequence[tuple[UUID, Sequence[Transition], int]]) -> None:
        """Each booking's transitions after the first ``start`` stored, numbered on; one statement."""
        rows = [
            transition_to_row(booking_id, start + n + 1, t)
            for booking_id, history, start in histories
            for n, t in enumerate(history)
        ]
        if rows:
            await self._session.execute(insert(booking_transitions), rows)
            self.moved.extend(t.to_status for _, history, _ in histories for t in history)

    async def _load(self, statement: Select[Any]) -> list[Booking]:
        rows = (await self._session.execute(statement)).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        history, refunding = await self._history(ids), await self._refunding(ids)
        return [booking_from_row(row, history.get(row.id, []), refunding.get(row.id, 0)) for row in rows]

    async def _refunding(self, booking_ids: list[UUID]) -> dict[UUID, int]:
        """What each booking's refunds asked for and are not settled yet (requested or pending)."""
        outstanding = [RefundState.REQUESTED.value, RefundState.PENDING.value]
        statement = (
            select(refunds.c.booking_id, func.sum(refunds.c.amount))
            .where(refunds.c.booking_id.in_(booking_ids), refunds.c.status.in_(outstanding))
            .group_by(refunds.c.booking_id)
        )
        return {booking_id: int(total) for booking_id, total in (await self._session.execute(statement)).all()}

    async def _history(self, booking_ids: list[UUID]) -> dict[UUID, list[Transition]]:
        statement = (
            select(booking_transitions)
            .where(booking_transitions.c.booking_id.in_(booking_ids))
            .order_by(booking_transitions.c.booking_id, booking_transitions.c.seq)
        )
        history: dict[UUID, list[Transition]] = {}
        for row in (await self._session.execute(statement)).all():
            history.setdefault(row.booking_id, []).append(transition_from_row(row))
        return history


def _holders() -> Select[Any]:
    """Keys with their tenants, as ``_holder`` reads them."""
    columns = (
        api_keys.c.key_hash,
        api_keys.c.revoked_at,
        api_keys.c.role,
        api_keys.c.id.label("key_id"),
        api_keys.c.expires_at,
    )
    return select(*columns, tenants).join(tenants, api_keys.c.tenant_id == tenants.c.id)


def _holder(row: Any) -> KeyHolder:
    tenant = Tenant(row.id, row.name, row.created_at)
    return KeyHolder(tenant, row.revoked_at, row.key_id, Role(row.role), row.expires_at)


async def _insert(session: AsyncSession, table: Any, values: dict[str, Any], duplicate: str) -> None:
    """Insert one row; a unique-key clash becomes ``DuplicateError`` without spoiling the transaction."""
    try:
        async with session.begin_nested():
            await session.execute(insert(table).values(**values))
    except IntegrityError as exc:
        raise DuplicateError(duplicate) from exc


_BOOKING_COLUMNS = {
    "id": "uuid",
    "tenant_id": "uuid",
    "hold_id": "uuid",
    "listing_id": "uuid",
    "customer_ref": "text",
    "lines": "json",
    "total_amount": "bigint",
    "currency": "text",
    "status": "text",
    "payment_status": "text",
    "payment_intent_id": "text",
    "client_secret": "text",
    "payment_due_at": "timestamptz",
    "payment_error": "text",
    "contact_email": "text",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "version": "integer",
}
_TRANSITION_COLUMNS = {
    "booking_id": "uuid",
    "seq": "integer",
    "from_status": "text",
    "to_status": "text",
    "at": "timestamptz",
    "actor": "text",
    "reason": "text",
}
# The bookings not booked already (ON CONFLICT DO NOTHING, in hold order as before) and the history
# of exactly those: the transitions join the ids the first insert returns. The foreign key is
# checked at the end of the statement, when both inserts are done.
_ADD_WITH_HISTORY = text(
    f"""
    WITH added AS (
        {unnest_insert("bookings", _BOOKING_COLUMNS, "b_")}
        ON CONFLICT DO NOTHING
        RETURNING id
    ), history AS (
        {unnest_insert("booking_transitions", _TRANSITION_COLUMNS, "t_", join=("booking_id", "added"))}
    )
    SELECT id FROM added
    """
)


def _same_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows grouped by the columns they set (a booking with a payment sets more), in order."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return list(groups.values())


def _with_payment_in(scope: ReconciliationScope) -> list[Any]:
    conditions: list[Any] = [bookings.c.payment_intent_id.is_not(None)]
    if scope.tenant_id is not None:
        conditions.append(bookings.c.tenant_id == scope.tenant_id)
    if scope.listing_id is not None:
        conditions.append(bookings.c.listing_id == scope.listing_id)
    return conditions


def _booking_filters(where: BookingFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.status is not None:
        conditions.append(bookings.c.status == where.status.value)
    if where.payment_status is not None:
        conditions.append(bookings.c.payment_status == where.payment_status.value)
    if where.listing_id is not None:
        conditions.append(bookings.c.listing_id == where.listing_id)
    if where.customer_ref is not None:
        conditions.append(bookings.c.customer_ref == where.customer_ref)
    if where.listing_ids is not None:
        conditions.append(bookings.c.listing_id.in_(sorted(where.listing_ids)))
    if where.created_from is not None:
        conditions.append(bookings.c.created_at >= where.created_from)
    if where.created_to is not None:
        conditions.append(bookings.c.created_at < where.created_to)
    return conditions


def _locked(statement: Select[Any], of: Any = bookings) -> Select[Any]:
    """Row-locked until the unit of work ends (Postgres ``FOR UPDATE``). SQLite renders no clause:
    there every unit of work already holds the one write lock, so its reads cannot go stale."""
    return statement.with_for_update(of=of)
