"""Publish the outbox: fan each recorded event out to webhook deliveries and notifications."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.jobs import DeadLetterStore
from application.ports.relay import OutboxRecord
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.item_dead_letters import ItemDeadLetters
from domain.errors import NotFoundError
from domain.notifications import KIND_BY_EVENT_TYPE, Notification
from domain.outgoing_webhooks import Delivery, WebhookEndpoint

BATCH = 200
JOB = "relay_outbox"


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
    * A record that cannot be fanned out (its booking cannot be read, say a status written by
      a newer version) never holds up the others: it becomes a dead letter of ``relay_outbox``
      in the same transaction (lettered once however often it is met) and stays unpublished,
      with the later records of its aggregate, until it can be read: order is kept, nothing is
      dropped.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, dead_letters: DeadLetterStore) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids
        self._stuck = ItemDeadLetters(dead_letters, clock, JOB)

    async def __call__(self, limit: int = BATCH) -> int:
        async with self._uow() as uow:
            records = await uow.outbox_relay.take_unpublished(limit)
            if not records:
                return 0
            now = self._clock.now()
            endpoints = await self._endpoints(uow, records)
            published: list[UUID] = []
            deliveries: list[Delivery] = []
            notifications: list[Notification] = []
            blocked: set[UUID] = set()  # aggregates with a record that could not be fanned out
            for record in records:
                fanned = None if record.aggregate_id in blocked else await self._fan_out(uow, record, endpoints, now)
                if fanned is None:
                    blocked.add(record.aggregate_id)
                    continue
                deliveries += fanned[0]
                notifications += fanned[1]
                published.append(record.id)
            await uow.webhook_deliveries.add(deliveries)
            await uow.notifications.add(notifications)
            await uow.outbox_relay.mark_published(published, now)
            await uow.commit()
        return len(published)

    async def _fan_out(
        self, uow: UnitOfWork, record: OutboxRecord, endpoints: dict[UUID, list[WebhookEndpoint]], now: datetime
    ) -> tuple[list[Delivery], list[Notification]] | None:
        """The record's deliveries and notification; None when it cannot be fanned out (lettered)."""

        async def fan_out() -> tuple[list[Delivery], list[Notification]]:
            notification = await self._notification(uow, record, now)
            return self._deliveries(record, endpoints[record.tenant_id], now), [notification] if notification else []

        args = {"event_id": str(record.id), "type": record.type, "aggregate_id": str(record.aggregate_id)}
        return await self._stuck.run(f"event {record.id}", args, fan_out)

    @staticmethod
    async def _endpoints(uow: UnitOfWork, records: list[OutboxRecord]) -> dict[UUID, list[WebhookEndpoint]]:
        endpoints: dict[UUID, list[WebhookEndpoint]] = defaultdict(list)
        for tenant_id in {record.tenant_id for record in records}:
            endpoints[tenant_id] = await uow.webhook_endpoints.enabled_for(tenant_id)
        return endpoints

    def _deliveries(self, r: OutboxRecord, endpoints: list[WebhookEndpoint], now: datetime) -> list[Delivery]:
        return [
            Delivery(self._ids.new_id(), to.id, r.id, r.type, r.aggregate_id, r.sequence, now, now, next_attempt_at=now)
            for to in endpoints
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
