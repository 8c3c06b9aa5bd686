"""Publish the outbox: fan each recorded event out to webhook deliveries and notifications."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.relay import OutboxRecord
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from domain.errors import NotFoundError
from domain.notifications import KIND_BY_EVENT_TYPE, Notification
from domain.outgoing_webhooks import Delivery, WebhookEndpoint

BATCH = 200


class RelayOutboxHandler:
    """Publishes up to ``limit`` unpublished outbox records; returns how many.

    * In order per aggregate: a record is published only with or after every lower sequence of
      its aggregate. Concurrent relays take disjoint aggregates (see ``OutboxRelay``), so none
      publishes a record twice or a later one first.
    * Publishing is one transaction: the records are marked published, and each gets one
      delivery per enabled endpoint of its tenant subscribed to its type, plus one notification
      when its type warrants an email and its booking has a contact email (with the record's
      sequence, so that the booking's emails go out in the order of its events).
    * Running it again, or after a crash, has the effect of once: published records are not
      taken again, and deliveries and notifications are unique per (endpoint, event) and
      (event, kind).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, limit: int = BATCH) -> int:
        async with self._uow() as uow:
            records = await uow.outbox_relay.take_unpublished(limit)
            if not records:
                return 0
            now = self._clock.now()
            await uow.webhook_deliveries.add(await self._deliveries(uow, records, now))
            await uow.notifications.add([n for r in records if (n := await self._notification(uow, r, now))])
            await uow.outbox_relay.mark_published([record.id for record in records], now)
            await uow.commit()
        return len(records)

    async def _deliveries(self, uow: UnitOfWork, records: list[OutboxRecord], now: datetime) -> list[Delivery]:
        endpoints: dict[UUID, list[WebhookEndpoint]] = defaultdict(list)
        for tenant_id in {record.tenant_id for record in records}:
            endpoints[tenant_id] = await uow.webhook_endpoints.enabled_for(tenant_id)
        return [
            Delivery(self._ids.new_id(), to.id, r.id, r.type, r.aggregate_id, r.sequence, now, now, next_attempt_at=now)
            for r in records
            for to in endpoints[r.tenant_id]
            if to.subscribes_to(r.type)
        ]

    async def _notification(self, uow: UnitOfWork, record: OutboxRecord, now: datetime) -> Notification | None:
        kind = KIND_BY_EVENT_TYPE.get(record.type)
        if kind is None:
            return None
        try:
            booking = await uow.bookings.get(record.tenant_id, record.aggregate_id)
        except NotFoundError:
            return None
        if booking.contact_email is None:
            return None
        return Notification(
            self._ids.new_id(),
            record.id,
            kind,
            record.tenant_id,
            booking.id,
            booking.contact_email,
            now,
            now,
            record.sequence,
            data=record.data,
            next_attempt_at=now,
        )
