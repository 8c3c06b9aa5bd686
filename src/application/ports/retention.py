"""The retention port: forgetting finished records once they are old enough.

Every table that grows with traffic and whose rows are finished at some point has a purge here:
the Stripe webhook inbox, the outbox, tenants' webhook deliveries (with their attempts), the
emails, the hold journal, and the fake gateway's queued webhooks. Only finished rows go; work
still to do (an event to handle or replay, an unpublished outbox record, a pending delivery or
email, an active hold) is kept however old it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class RetentionStore(Protocol):
    async def purge_finished(self, before: datetime) -> dict[str, int]:
        """Delete the finished rows last changed before ``before``; how many, per table:

        * ``webhook_events``: processed or ignored (failed and dead ones wait for a retry or an
          operator's replay);
        * ``webhook_deliveries``: delivered or failed (their attempts go with them);
        * ``notifications``: sent or dead;
        * ``outbox``: published, and no longer named by any delivery or email;
        * ``hold_journal``: every hold but the active ones (a confirmed hold is rebuilt from its
          booking when needed);
        * ``fake_payment_webhooks``: queued and never taken.
        """
        ...
