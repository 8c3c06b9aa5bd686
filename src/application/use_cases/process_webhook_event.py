"""Hand one claimed inbox event to the webhook handler and record what came of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.metrics import Metrics
from application.ports.repositories import UnitOfWorkFactory
from application.ports.webhooks import InboxEntry, Lease, WebhookEventHandler
from domain.text import printable
from domain.webhooks import InboxStatus, RetryPolicy

LEASE_SECONDS = 300
# Shorter than the lease: a handler is cancelled before its lease can run out, so no other
# worker can claim the event while the first handler still runs.
HANDLER_TIMEOUT_SECONDS = 240
MAX_ERROR_LENGTH = 500


def new_lease(ids: IdGenerator, now: datetime, seconds: float = LEASE_SECONDS) -> Lease:
    """A fresh claim on one row (an inbox event, a delivery, an email) until ``now + seconds``."""
    return Lease(str(ids.new_id()), now + timedelta(seconds=seconds))


def describe(exc: BaseException) -> str:
    """An error as recorded (``last_error`` columns, dead letters): short, and with control
    characters escaped, so that a message quoting text from outside can always be stored."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return printable(text)[:MAX_ERROR_LENGTH]


class ProcessWebhookEventHandler:
    """Runs the handler on an event claimed from the inbox, then records the outcome.

    - A type the handler does not accept is ``ignored``: acknowledged, never an error.
    - A handler that returns makes the event ``processed``.
    - One that raises, or overruns ``HANDLER_TIMEOUT_SECONDS``, makes it ``failed``, due again
      after the retry policy's backoff, or ``dead`` after its last allowed attempt.

    The handler runs outside any inbox transaction (it opens its own units of work and may call
    the provider), and the outcome is written only after it returned, only under the lease the
    event was claimed with. Handler effects and the outcome are therefore not one transaction:
    a crash in between means the event is handled again once the lease ran out, which is why
    handlers must be idempotent (see ``WebhookEventHandler``).
    """

    def __init__(
        self,
        handler: WebhookEventHandler,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: RetryPolicy,
        jitter: Callable[[], float],
        metrics: Metrics,
    ) -> None:
        self._handler, self._uow, self._clock = handler, uow, clock
        self._policy, self._jitter, self._metrics = policy, jitter, metrics

    async def __call__(self, claimed: InboxEntry) -> InboxEntry | None:
        """The entry as recorded; None if its lease was lost meanwhile (then nothing is recorded)."""
        outcome = await self._outcome(claimed)
        async with self._uow() as uow:
            kept = await uow.webhooks.finish(outcome)
            await uow.commit()
        self._metrics.webhook_handled(outcome.status.value if kept else "lease_lost")
        return replace(outcome, lease=None) if kept else None

    async def _outcome(self, entry: InboxEntry) -> InboxEntry:
        if not self._handler.accepts(entry.event.type):
            return self._settled(entry, InboxStatus.IGNORED, entry.attempts)
        try:
            async with asyncio.timeout(HANDLER_TIMEOUT_SECONDS):
                await self._handler.handle(entry.event)
        except Exception as exc:  # whatever broke, the event stays in the inbox for a retry
            return self._failed(entry, exc)
        return self._settled(entry, InboxStatus.PROCESSED, entry.attempts + 1)

    def _settled(self, entry: InboxEntry, status: InboxStatus, attempts: int) -> InboxEntry:
        now = self._clock.now()
        return replace(entry, status=status, attempts=attempts, updated_at=now, next_attempt_at=None)

    def _failed(self, entry: InboxEntry, exc: Exception) -> InboxEntry:
        now = self._clock.now()
        attempts = entry.attempts + 1
        status = self._policy.status_after_failure(attempts)
        due = now + self._policy.delay(attempts, self._jitter()) if status is InboxStatus.FAILED else None
        return replace(
            entry, status=status, attempts=attempts, updated_at=now, next_attempt_at=due, last_error=describe(exc)
        )
