"""Read how far behind the webhook inbox is, for the metrics scrape."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class WebhookBacklog:
    lag_seconds: float  # age of the oldest event still to be handled; 0 when none waits
    dead: int  # events that failed too often, waiting for an operator's replay


class GetWebhookBacklogHandler:
    """Rules:

    * the lag is the time since the oldest event still to be handled was received: a received
      event, or a failed one whose next attempt is due. A failed event waiting out its backoff
      is not late yet, and does not count;
    * dead events wait for an operator, not for time: they are counted, not aged.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self) -> WebhookBacklog:
        now = self._clock.now()
        async with self._uow() as uow:
            backlog = await uow.webhooks.backlog(now)
        oldest = backlog.oldest_due_received_at
        lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        return WebhookBacklog(lag, backlog.dead)
