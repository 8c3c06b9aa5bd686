"""Notifications to customers: the queue of emails the relay writes and the sender works off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports.webhooks import Lease
from domain.notifications import Notification


@dataclass(frozen=True, slots=True)
class ClaimedNotification:
    notification: Notification
    lease: Lease


class NotificationRepository(Protocol):
    async def add(self, notifications: Sequence[Notification]) -> int:
        """Store new notifications, skipping any whose (event, kind) is stored; how many were new."""
        ...

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        """Pending, due, unleased notifications that are first in their booking's line (no
        earlier one of the booking is pending), soonest due first."""
        ...

    async def claim(self, notification_id: UUID, now: datetime, lease: Lease) -> ClaimedNotification | None:
        """Lease it if it is still as ``due`` lists them (another worker may have sent or taken
        it, or an earlier one of its booking may be pending again); None otherwise."""
        ...

    async def finish(self, notification: Notification, lease: Lease) -> bool:
        """Write the new state and drop the lease, if ``lease`` is still the one stored."""
        ...

    async def get(self, notification_id: UUID) -> Notification: ...
