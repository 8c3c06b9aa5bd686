"""Forget finished records older than the retention period (HOLDFAST_RETENTION_DAYS)."""

from __future__ import annotations

from datetime import timedelta

from application.ports.clock import Clock
from application.ports.retention import RetentionStore


class PurgeOldRecordsHandler:
    """Rules:

    * only finished records are purged (see ``RetentionStore``), and only once unchanged for
      ``keep``: the tables that grow with traffic stay bounded by it, and nothing still to be
      done is ever lost;
    * ``keep`` is at least a week (settings): Stripe retries a webhook for three days, and an
      event it sends again after its inbox record is gone is stored and handled once more,
      which the handlers bear (they are idempotent), but should stay rare;
    * safe to run anywhere, any number of times.
    """

    def __init__(self, store: RetentionStore, clock: Clock, keep: timedelta) -> None:
        self._store, self._clock, self._keep = store, clock, keep

    async def __call__(self) -> dict[str, int]:
        return await self._store.purge_finished(self._clock.now() - self._keep)
