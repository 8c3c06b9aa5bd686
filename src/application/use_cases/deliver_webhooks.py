"""POST due webhook deliveries to tenants' endpoints, signed, and record what came of each."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.outgoing_webhooks import ClaimedDelivery, DeliveryAttempt, HttpAnswer, WebhookSender
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.process_webhook_event import new_lease
from domain.outgoing_webhooks import DeliveryOutcome, DeliveryPolicy
from domain.webhook_signatures import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_header

BATCH = 100
CONCURRENCY = 8  # sends at once per call: one slow endpoint does not hold up the others
# A crash mid-send delays that delivery by this much. A send is cut off well before its lease
# ends (httpx's timeouts bound each step, not the whole exchange), so a delivery is never
# claimed again while it is still being sent.
LEASE_SECONDS = 30
SEND_SECONDS = 20
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
# A round runs passes: each sends what is first in line per endpoint and aggregate, which
# unblocks the next event of each aggregate for the following pass. So a booking's five events
# arrive in one round, in order, instead of one per round. No new pass starts after the budget.
MAX_PASSES = 20
PASS_BUDGET_SECONDS = 60


class DeliverWebhooksHandler:
    """Sends up to ``limit`` due deliveries; returns how many attempts it recorded.

    * One round sends every due event of an aggregate, in order, in successive passes: an
      event is sent once the one before it is delivered, without waiting for the next round.

    * A delivery is claimed (leased) just before it is sent, so two workers never send it at
      the same time; one that another worker claimed first is skipped.
    * Per endpoint and aggregate, in sequence order: a delivery waits while an earlier one is
      pending (being retried), so a receiver never sees "refunded" before "confirmed"; a
      failed delivery stops its aggregate's later ones for the rest of the round too.
    * The body is the structured-mode CloudEvent; ``Holdfast-Signature`` signs it with the
      endpoint's secret, ``Holdfast-Event-Id`` lets the receiver drop a repeat. Delivery is at
      least once: a crash between the POST and the record sends it again after the lease.
    * The domain's ``DeliveryPolicy`` decides retries, giving up and disabling the endpoint;
      each attempt is recorded with its status code, error and duration.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        sender: WebhookSender,
        policy: DeliveryPolicy,
        jitter: Callable[[], float],
    ) -> None:
        self._uow, self._clock, self._ids, self._sender = uow, clock, ids, sender
        self._policy, self._jitter = policy, jitter

    async def __call__(self, limit: int = BATCH) -> int:
        recorded, started = 0, time.monotonic()
        for _ in range(MAX_PASSES):
            sent = await self._pass(limit - recorded)
            recorded += sent
            # A pass that recorded nothing unblocked nothing; the limit and the time budget
            # keep a round within its job's timeout.
            if not sent or recorded >= limit or time.monotonic() - started > PASS_BUDGET_SECONDS:
                break
        return recorded

    async def _pass(self, limit: int) -> int:
        """Sends the deliveries due now that are first in line of their aggregate."""
        async with self._uow() as uow:
            due = await uow.webhook_deliveries.due(self._clock.now(), limit)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def deliver(delivery_id: UUID) -> DeliveryOutcome | None:
            async with gate:
                return await self._deliver(delivery_id)

        outcomes = await asyncio.gather(*(deliver(delivery_id) for delivery_id in due))
        return sum(outcome is not None for outcome in outcomes)

    async def _deliver(self, delivery_id: UUID) -> DeliveryOutcome | None:
        claimed = await self._claim(delivery_id)
        if claimed is None:
            return None
        body = json.dumps(claimed.event, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": CONTENT_TYPE,
            EVENT_ID_HEADER: str(claimed.delivery.event_id),
            SIGNATURE_HEADER: signature_header(claimed.secret, int(self._clock.now().timestamp()), body),
        }
        started = time.perf_counter()
        try:
            async with asyncio.timeout(SEND_SECONDS):
                answer = await self._sender.post(claimed.url, body, headers)
        except TimeoutError:
            answer = HttpAnswer(
                None, f"no answer within {SEND_SECONDS} s", round((time.perf_counter() - started) * 1000)
            )
        return await self._record(claimed, answer)

    async def _claim(self, delivery_id: UUID) -> ClaimedDelivery | None:
        now = self._clock.now()
        lease = new_lease(self._ids, now, LEASE_SECONDS)
        async with self._uow() as uow:
            claimed = await uow.webhook_deliveries.claim(delivery_id, now, lease)
            await uow.commit()
        return claimed

    async def _record(self, claimed: ClaimedDelivery, answer: HttpAnswer) -> DeliveryOutcome | None:
        """The outcome as recorded; None when the lease was lost or the endpoint deleted meanwhile."""
        now, delivery = self._clock.now(), claimed.delivery
        outcome = delivery.record(answer.status_code, answer.error, now, self._policy, self._jitter())
        attempt = DeliveryAttempt(
            self._ids.new_id(), delivery.id, now, answer.status_code, answer.error, answer.duration_ms
        )
        async with self._uow() as uow:
            # The endpoint first, as deleting one does: its lock orders whoever changes it.
            endpoint = await uow.webhook_endpoints.lock(delivery.endpoint_id)
            if endpoint is None or not await uow.webhook_deliveries.finish(delivery, claimed.lease):
                return None
            await uow.webhook_deliveries.add_attempt(attempt)
            endpoint.after_attempt(outcome, now, self._policy)
            await uow.webhook_endpoints.save(endpoint)
            await uow.commit()
        return outcome
