"""Webhook ports: the durable inbox of provider events, and whoever acts on them.

The inbox is the only road from a delivery to the handler. It stores each event once, by the
provider's event id, and hands it out under a *lease*: a claim that one worker (the request that
stored it, the retry sweep, an operator's replay) holds until a deadline. Claims are atomic
conditional updates, so two workers never hold the same event at once, and an outcome is written
only by the holder of the lease it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.payments import GatewayEvent
from domain.webhooks import InboxStatus


@dataclass(frozen=True, slots=True)
class Lease:
    """A claim on one event: only its ``token`` may record the outcome, and only until ``until``."""

    token: str
    until: datetime


@dataclass(frozen=True, slots=True)
class InboxEntry:
    event: GatewayEvent
    status: InboxStatus
    attempts: int  # handler calls so far (reset by a replay)
    received_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = None  # when a received or failed event is due
    last_error: str | None = None
    lease: Lease | None = None  # set on a claimed copy

    @property
    def event_id(self) -> str:
        return self.event.id


@dataclass(frozen=True, slots=True)
class InboxPageRequest:
    """Keyset pagination: entries strictly after ``after`` (received_at, event id), oldest first."""

    limit: int = 50
    after: tuple[datetime, str] | None = None


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: list[InboxEntry]
    next_after: tuple[datetime, str] | None = None


@dataclass(frozen=True, slots=True)
class InboxBacklog:
    """What waits in the inbox: the receipt time of the oldest event still to be handled (received,
    or failed and due again; None when there is none), and how many events are dead."""

    oldest_due_received_at: datetime | None
    dead: int


class WebhookEventHandler(Protocol):
    """Acts on verified provider events, one at a time, as the inbox hands them out.

    Delivery is at least once: the inbox never runs two handlers for one event at the same time
    and never hands out an event whose outcome was recorded, but if the process dies after
    ``handle`` returned and before the outcome was written, the event is handled again once its
    lease runs out. ``handle`` must therefore be idempotent (events are hints; re-read the truth,
    e.g. the PaymentIntent, and use idempotency keys with the provider). It runs outside any
    inbox transaction and opens its own units of work.
    """

    def accepts(self, event_type: str) -> bool:
        """Whether this type means anything to us; other types are acknowledged and ignored."""
        ...

    async def handle(self, event: GatewayEvent) -> None:
        """Act on the event. Raising means "failed, retry later" (with backoff, then dead)."""
        ...


class WebhookInboxRepository(Protocol):
    async def add(self, entry: InboxEntry) -> bool:
        """Store a new entry (claimed under its lease) unless its event id is already stored.

        True when stored; False, and nothing written, for a duplicate delivery.
        """
        ...

    async def get(self, event_id: str) -> InboxEntry:
        """The entry; ``NotFoundError`` when absent."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of received or failed entries due by ``now`` and not leased, soonest due first."""
        ...

    async def claim(self, event_id: str, now: datetime, lease: Lease) -> InboxEntry | None:
        """Atomically lease a due, unleased received or failed entry; None if not claimable."""
        ...

    async def replay(self, event_id: str, now: datetime, lease: Lease) -> InboxEntry | None:
        """Atomically put an unleased entry of any status back to received, attempts 0, leased.

        None when the entry is leased by someone else; ``NotFoundError`` when absent.
        """
        ...

    async def finish(self, entry: InboxEntry) -> bool:
        """Write the entry's new state and drop its lease, if the lease is still the one stored.

        False, and nothing written, when the lease was lost (it ran out and another worker
        claimed the event).
        """
        ...

    async def list(self, status: InboxStatus | None, page: InboxPageRequest) -> InboxPage: ...

    async def backlog(self, now: datetime) -> InboxBacklog:
        """The inbox's backlog at ``now``, read with index-backed aggregates (scraped often)."""
        ...
