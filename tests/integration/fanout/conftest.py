"""The outbox's fan-out on real databases (SQLite, and Postgres emptied before each test), with
builders for tenants, endpoints, bookings and their recorded events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from domain.bookings import Booking
from domain.contacts import EmailAddress
from domain.events import DomainEvent
from domain.inventory import Hold, HoldLine, HoldStatus
from domain.listings import Listing, ListingKind
from domain.outgoing_webhooks import ALL_EVENTS, WebhookEndpoint
from domain.tenants import Tenant
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.databases import migrated_postgres, truncate_all
from tests.fakes.clock import FakeClock

FANOUT_DATABASE = "holdfast_fanout"
NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = migrated_postgres(request.getfixturevalue("postgres_url"), FANOUT_DATABASE)
        await truncate_all(url)
    db = Database(url, pool_size=20)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def uow(database: Database) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(database, PrometheusMetrics())


class Seed:
    """Writes what the fan-out reads, each in a committed unit of work of its own."""

    def __init__(self, uow: Callable[[], SqlUnitOfWork], database: Database) -> None:
        self.uow, self.database = uow, database

    async def tenant(self, name: str | None = None) -> UUID:
        tenant = Tenant(uuid4(), name or f"t-{uuid4().hex[:8]}", NOW)
        async with self.uow() as uow:
            await uow.tenants.add(tenant)
            await uow.commit()
        return tenant.id

    async def endpoint(
        self, tenant_id: UUID, url: str, event_types: tuple[str, ...] = (ALL_EVENTS,), *, enabled: bool = True
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(uuid4(), tenant_id, url, event_types, f"hfwhsec_{uuid4().hex}", NOW, NOW)
        if not enabled:
            endpoint.disable(NOW, "test")
        async with self.uow() as uow:
            await uow.webhook_endpoints.add(endpoint)
            await uow.commit()
        return endpoint

    async def events(self, events: Iterable[DomainEvent]) -> None:
        async with self.uow() as uow:
            await uow.outbox.add(events)
            await uow.commit()

    async def booking(self, tenant_id: UUID, email: str | None, price: int = 2500) -> Booking:
        """A confirmed booking of a listing of its own, recorded with its BookingConfirmed event."""
        listing = Listing(uuid4(), tenant_id, ListingKind.EVENT_SHOW, "The Show", NOW)
        hold = Hold(
            uuid4(),
            tenant_id,
            listing.id,
            "cust",
            (HoldLine(uuid4(), 2, price),),
            "EUR",
            NOW,
            NOW + timedelta(minutes=10),
            status=HoldStatus.CONFIRMED,
        )
        booking = Booking.confirm_hold(hold, NOW, "test", EmailAddress(email) if email else None)
        async with self.uow() as uow:
            await uow.listings.add(listing)
            await uow.bookings.add(booking)
            await uow.outbox.add(booking.events)
            await uow.commit()
        return booking

    async def published(self, *aggregates: UUID) -> list[tuple[UUID, int, datetime | None]]:
        statement = select(outbox.c.aggregate_id, outbox.c.sequence, outbox.c.published_at)
        if aggregates:
            statement = statement.where(outbox.c.aggregate_id.in_(aggregates))
        async with self.database.reading() as session:
            rows = (await session.execute(statement.order_by(outbox.c.aggregate_id, outbox.c.sequence))).all()
        return [(row.aggregate_id, row.sequence, row.published_at) for row in rows]


@pytest.fixture
def seed(uow: Callable[[], SqlUnitOfWork], database: Database) -> Seed:
    return Seed(uow, database)
