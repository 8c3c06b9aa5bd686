"""The retention port on the system of record: one DELETE per table, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select

from domain.inventory import HoldStatus
from domain.notifications import NotificationStatus
from domain.outgoing_webhooks import DeliveryStatus
from domain.webhooks import InboxStatus
from infrastructure.payments.fake_tables import fake_payment_webhooks
from infrastructure.persistence.database import Database
from infrastructure.persistence.delivery_tables import notifications, webhook_deliveries, webhook_delivery_attempts
from infrastructure.persistence.identity_tables import refresh_tokens
from infrastructure.persistence.journal_tables import hold_journal
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.pricing_tables import quotes
from infrastructure.persistence.webhook_tables import webhook_events


def _finished_deliveries(before: datetime) -> Any:
    done = (DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value)
    return (webhook_deliveries.c.status.in_(done)) & (webhook_deliveries.c.updated_at < before)


class SqlRetentionStore:
    """Deliveries and emails go before the outbox records they name (a foreign key each)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def purge_finished(self, before: datetime) -> dict[str, int]:
        finished_inbox = (InboxStatus.PROCESSED.value, InboxStatus.IGNORED.value)
        finished_emails = (NotificationStatus.SENT.value, NotificationStatus.DEAD.value)
        named = exists().where(webhook_deliveries.c.event_id == outbox.c.id)
        emailed = exists().where(notifications.c.event_id == outbox.c.id)
        statements = {
            "webhook_events": delete(webhook_events).where(
                webhook_events.c.status.in_(finished_inbox), webhook_events.c.updated_at < before
            ),
            # Attempts first: SQLite enforces no ON DELETE CASCADE unless told to.
            "webhook_delivery_attempts": delete(webhook_delivery_attempts).where(
                webhook_delivery_attempts.c.delivery_id.in_(
                    select(webhook_deliveries.c.id).where(_finished_deliveries(before))
                )
            ),
            "webhook_deliveries": delete(webhook_deliveries).where(_finished_deliveries(before)),
            "notifications": delete(notifications).where(
                notifications.c.status.in_(finished_emails), notifications.c.updated_at < before
            ),
            "outbox": delete(outbox).where(outbox.c.published_at < before, ~named, ~emailed),
            "hold_journal": delete(hold_journal).where(
                hold_journal.c.status != HoldStatus.ACTIVE.value, hold_journal.c.updated_at < before
            ),
            "fake_payment_webhooks": delete(fake_payment_webhooks).where(fake_payment_webhooks.c.queued_at < before),
            # Used and revoked refresh tokens stay until they expire (a used one presented again
            # is reuse, which ends its family); then they are dead either way.
            "refresh_tokens": delete(refresh_tokens).where(refresh_tokens.c.expires_at < before),
            # A quote's price is promised until it expires, and a booking of its hold keeps the
            # total it charged: long expired, a quote is no one's any more.
            "quotes": delete(quotes).where(quotes.c.expires_at < before),
        }
        async with self._db.transaction() as session:
            return {name: int((await session.execute(statement)).rowcount) for name, statement in statements.items()}
