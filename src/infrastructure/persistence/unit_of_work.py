"""The SQL unit of work: one session, one transaction, the repositories that share it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.clock import Clock
from application.ports.metrics import Metrics
from infrastructure.clock import SystemClock
from infrastructure.persistence.api_keys import SqlApiKeyRepository
from infrastructure.persistence.audit import SqlAuditRepository
from infrastructure.persistence.booking_changes import SqlBookingChangeRepository
from infrastructure.persistence.database import Database
from infrastructure.persistence.journal import SqlHoldJournalRepository, SqlReconciliationRepository
from infrastructure.persistence.ledger import SqlLedgerRepository
from infrastructure.persistence.notifications import SqlNotificationRepository
from infrastructure.persistence.outbox import SqlOutboxRepository
from infrastructure.persistence.outgoing_webhooks import SqlWebhookDeliveryRepository, SqlWebhookEndpointRepository
from infrastructure.persistence.ownership import SqlListingOwnerRepository, SqlSalesRepository
from infrastructure.persistence.pricing import SqlPricePlanRepository, SqlQuoteRepository
from infrastructure.persistence.refunds import SqlDisputeRepository, SqlRefundRepository
from infrastructure.persistence.relay import SqlOutboxRelay
from infrastructure.persistence.repositories import (
    SqlBookingRepository,
    SqlListingRepository,
    SqlPoolRepository,
    SqlTenantRepository,
)
from infrastructure.persistence.seat_maps import SqlSeatMapRepository
from infrastructure.persistence.stays import SqlStayRepository
from infrastructure.persistence.users import SqlRefreshTokenRepository, SqlUserRepository
from infrastructure.persistence.webhook_inbox import SqlWebhookInboxRepository


class SqlUnitOfWork:
    """Use once: ``async with uow: ...; await uow.commit()``. Leaving without commit rolls back.

        Booking transitions are counted here, once committed: every use case that moves a booking
        saves it through this unit of work, and a rolled-back move (a stale version) never counts.
    Audit rows recorded through ``audit`` are written at the commit, in the same transaction.
    """

    tenants: SqlTenantRepository
    api_keys: SqlApiKeyRepository
    webhooks: SqlWebhookInboxRepository
    listings: SqlListingRepository
    pools: SqlPoolRepository
    bookings: SqlBookingRepository
    refunds: SqlRefundRepository
    disputes: SqlDisputeRepository
    ledger: SqlLedgerRepository
    outbox: SqlOutboxRepository
    outbox_relay: SqlOutboxRelay
    webhook_endpoints: SqlWebhookEndpointRepository
    webhook_deliveries: SqlWebhookDeliveryRepository
    notifications: SqlNotificationRepository
    hold_journal: SqlHoldJournalRepository
    reconciliations: SqlReconciliationRepository
    audit: SqlAuditRepository
    users: SqlUserRepository
    refresh_tokens: SqlRefreshTokenRepository
    seat_maps: SqlSeatMapRepository
    listing_owners: SqlListingOwnerRepository
    sales: SqlSalesRepository
    stays: SqlStayRepository
    prices: SqlPricePlanRepository
    quotes: SqlQuoteRepository
    booking_changes: SqlBookingChangeRepository

    def __init__(self, database: Database, metrics: Metrics, clock: Clock | None = None) -> None:
        self._database, self._metrics = database, metrics
        self._clock: Clock = clock or SystemClock()  # the audit rows' time
        self._scope: AbstractAsyncContextManager[AsyncSession] | None = None
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self._scope = self._database.unit()
        session = self._session = await self._scope.__aenter__()
        self.tenants = SqlTenantRepository(session)
        self.api_keys = SqlApiKeyRepository(session)
        self.webhooks = SqlWebhookInboxRepository(session)
        self.listings = SqlListingRepository(session)
        self.pools = SqlPoolRepository(session)
        self.bookings = SqlBookingRepository(session)
        self.refunds = SqlRefundRepository(session)
        self.disputes = SqlDisputeRepository(session)
        self.ledger = SqlLedgerRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.outbox_relay = SqlOutboxRelay(session)
        self.webhook_endpoints = SqlWebhookEndpointRepository(session)
        self.webhook_deliveries = SqlWebhookDeliveryRepository(session)
        self.notifications = SqlNotificationRepository(session)
        self.hold_journal = SqlHoldJournalRepository(session)
        self.reconciliations = SqlReconciliationRepository(session)
        self.audit = SqlAuditRepository(session, self._clock)
        self.users = SqlUserRepository(session)
        self.refresh_tokens = SqlRefreshTokenRepository(session)
        self.seat_maps = SqlSeatMapRepository(session)
        self.listing_owners = SqlListingOwnerRepository(session)
        self.sales = SqlSalesRepository(session)
        self.stays = SqlStayRepository(session)
        self.prices = SqlPricePlanRepository(session)
        self.quotes = SqlQuoteRepository(session)
        self.booking_changes = SqlBookingChangeRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._scope is not None
        assert self._session is not None
        try:
            await self._session.rollback()  # a no-op after commit
        finally:
            await self._scope.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        assert self._session is not None
        await self.audit.flush()  # the writes' audit rows, in their transaction
        await self._session.commit()
        for status in self.bookings.moved:
            self._metrics.booking_moved(status)
        self.bookings.moved.clear()
