"""A tenant selling through the real use cases on SQLite, paid through the fake gateway.

The payment tests build bookings in every state with it, then make the gateway or our own
records drift on purpose.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dependency_injector import providers
from sqlalchemy import delete, update

from application.ports.payments import GatewayEvent
from application.use_cases.cancel_booking import CancelBooking
from application.use_cases.create_booking import CreateBooking
from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.place_hold import PlaceHold
from application.use_cases.refund_booking import RefundBooking
from application.use_cases.register_tenant import RegisterTenant
from domain.bookings import Booking
from domain.listings import ListingKind
from domain.reconciliation import Finding, ReconciliationScope
from domain.refunds import Refund
from infrastructure.container import Container
from infrastructure.payments.fake import FakePaymentGateway, Outcome
from infrastructure.payments.fake_tables import fake_payment_intents, fake_payment_replies
from infrastructure.payments.webhook_signing import SignedWebhook
from infrastructure.persistence.tables import refunds
from tests.fakes.clock import FakeClock
from tests.fakes.payments import FlakyGateway

PRICE = 2500


class Shop:
    def __init__(self, container: Container, clock: FakeClock) -> None:
        self.container, self.clock = container, clock
        self.uc = container.use_cases
        self.fake: FakePaymentGateway = container.gateways.payments()
        self.gateway = FlakyGateway(self.fake)
        container.gateways.payments.override(providers.Object(self.gateway))
        self.progress: list[tuple[int, int | None]] = []

    async def open(self, name: str = "acme") -> None:
        self.tenant_id = (await self.uc.register_tenant()(RegisterTenant(name))).tenant.id
        self.listing_id, self.pool_id = await self.new_listing()

    async def new_listing(self, capacity: int = 20) -> tuple[UUID, UUID]:
        command = CreateListing(self.tenant_id, ListingKind.EVENT_SHOW, "The Show")
        listing = await self.uc.create_listing()(command)
        pool = CreatePool(self.tenant_id, listing.id, "a", capacity, PRICE, "EUR")
        return listing.id, (await self.uc.create_pool()(pool)).pool.id

    async def check_out(
        self, where: tuple[UUID, UUID] | None = None, *, ttl: int = 600, customer: str = "cust"
    ) -> Booking:
        """A booking awaiting payment for one unit of ``where`` (listing, pool), by default the first pool."""
        listing_id, pool_id = where or (self.listing_id, self.pool_id)
        command = PlaceHold(self.tenant_id, listing_id, customer, ((pool_id, 1),), ttl_seconds=ttl)
        hold = await self.uc.place_hold()(command)
        return (await self.uc.create_booking()(CreateBooking(self.tenant_id, hold.id, "test"))).booking

    async def paid(self, where: tuple[UUID, UUID] | None = None) -> Booking:
        booking = await self.check_out(where)
        await self.pay(booking)
        return await self.booking(booking.id)

    async def pay(self, booking: Booking, outcome: Outcome = "succeeded", *, deliver: bool = True) -> None:
        assert booking.payment is not None
        webhooks = await self.fake.pay(booking.payment.intent_id, outcome)
        if deliver:
            await self.deliver(webhooks)

    async def deliver(self, webhooks: list[SignedWebhook] | None = None) -> None:
        """Hand the gateway's webhooks (by default those it queued since last time) to the handler."""
        handler = self.uc.handle_payment_event()
        for webhook in await self.fake.take_webhooks() if webhooks is None else webhooks:
            await handler.handle(_event(webhook))

    async def cancel(self, booking_id: UUID) -> Booking:
        return await self.uc.cancel_booking()(CancelBooking(self.tenant_id, booking_id, "test"))

    async def refund(self, booking_id: UUID, amount: int | None = None) -> Refund:
        command = RefundBooking(self.tenant_id, booking_id, amount, "goodwill", "operator")
        return (await self.uc.refund_booking()(command)).refund

    async def booking(self, booking_id: UUID) -> Booking:
        return await self.uc.get_booking()(self.tenant_id, booking_id)

    async def our_refunds(self, booking_id: UUID) -> list[Refund]:
        async with self.container.gateways.uow() as uow:
            return await uow.refunds.for_booking(booking_id)

    async def drift_intent(self, booking: Booking, **values: Any) -> None:
        """Change the fake gateway's own record of the booking's intent, to make it drift."""
        assert booking.payment is not None
        statement = update(fake_payment_intents).where(fake_payment_intents.c.id == booking.payment.intent_id)
        await self.execute(statement.values(**values))

    async def forget_idempotency_keys(self) -> None:
        """What Stripe does after 24 hours."""
        await self.execute(delete(fake_payment_replies))

    async def execute(self, statement: Any) -> None:
        """Change our own records behind the use cases' back."""
        async with self.container.gateways.database().transaction() as session:
            await session.execute(statement)

    async def set_refund(self, refund_id: UUID, **values: Any) -> None:
        await self.execute(update(refunds).where(refunds.c.id == refund_id).values(**values))

    async def reconcile(self, scope: ReconciliationScope | None = None, **options: Any) -> list[Finding]:
        self.progress.clear()

        async def progress(checked: int, total: int | None) -> None:
            self.progress.append((checked, total))

        reconciler = self.uc.reconcile_payments(**options)
        return await reconciler(scope or ReconciliationScope(), progress)


def _event(webhook: SignedWebhook) -> GatewayEvent:
    body = json.loads(webhook.payload)
    created = datetime.fromtimestamp(body["created"], UTC)
    return GatewayEvent(body["id"], body["type"], created, body["data"]["object"])
