"""Keep the audit log bounded: room ahead for its next rows, nothing past its retention."""

from __future__ import annotations

from datetime import timedelta

from application.ports.audit import AuditMaintenance
from application.ports.clock import Clock


class MaintainAuditLogHandler:
    """Rules:

    * rows are kept ``keep`` (``HOLDFAST_AUDIT_RETENTION_DAYS``), then forgotten: on Postgres a
      whole month at a time, once the month's last instant is past the cutoff (so a row may
      outlive its retention by up to a month, never fall short of it); on SQLite row by row;
    * on Postgres the partitions of this month and the next ones are made ahead, so writes land
      in their month, never in the default partition;
    * safe to run anywhere, any number of times (rounds are serialised on Postgres).
    """

    def __init__(self, store: AuditMaintenance, clock: Clock, keep: timedelta) -> None:
        self._store, self._clock, self._keep = store, clock, keep

    async def __call__(self) -> dict[str, int]:
        now = self._clock.now()
        return await self._store.maintain(now, now - self._keep)
