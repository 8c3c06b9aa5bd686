"""Try again the webhook events whose handling failed (the jobs schedule this; so does the app)."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import UnitOfWorkFactory
from application.ports.webhooks import InboxEntry
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler, new_lease

BATCH = 100


class RetryWebhookEventsHandler:
    """Handles up to ``limit`` events that are due: failed ones whose backoff has passed, and
    received ones whose first handling never recorded an outcome (the process died holding the
    lease, which has since run out).

    Each event is claimed just before it is handled, atomically, so a concurrent sweep, delivery
    or replay never handles it at the same time; one that another worker claimed first is skipped.
    Returns the entries as recorded.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, process: ProcessWebhookEventHandler
    ) -> None:
        self._uow, self._clock, self._ids, self._process = uow, clock, ids, process

    async def __call__(self, limit: int = BATCH) -> list[InboxEntry]:
        async with self._uow() as uow:
            due = await uow.webhooks.due(self._clock.now(), limit)
        done = []
        for event_id in due:
            claimed = await self._claim(event_id)
            outcome = None if claimed is None else await self._process(claimed)
            if outcome is not None:
                done.append(outcome)
        return done

    async def _claim(self, event_id: str) -> InboxEntry | None:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.webhooks.claim(event_id, now, new_lease(self._ids, now))
            await uow.commit()
        return claimed
