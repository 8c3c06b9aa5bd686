"""Join a listing's waiting room."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.waiting_room import WaitingRoom
from application.use_cases.get_queue_ticket import QueueStatus, QueueStatusReader
from domain.waiting_room import QueueNotEnabledError


@dataclass(frozen=True, slots=True)
class JoinQueue:
    tenant_id: UUID
    listing_id: UUID
    subject: str  # the actor's identity (domain.identity.Actor.subject)


@dataclass(frozen=True, slots=True)
class QueueJoined:
    status: QueueStatus
    created: bool  # False: the identity already had this place


class JoinQueueHandler:
    """One place per identity: joining again (waiting, or admitted with a valid pass) returns
    the same ticket; once its pass has expired, joining is a new place at the back. A listing
    whose queue mode is off has no queue (``QueueNotEnabledError``, 409 ``queue_not_enabled``):
    its holds need no pass, so admitting at once would only hand out passes nobody checks.
    The listing is read from the catalogue cache (no database read on the redis engine)."""

    def __init__(
        self, catalogue: CatalogueCache, room: WaitingRoom, status: QueueStatusReader, clock: Clock, ids: IdGenerator
    ) -> None:
        self._catalogue, self._room, self._status, self._clock, self._ids = catalogue, room, status, clock, ids

    async def __call__(self, command: JoinQueue) -> QueueJoined:
        listing = (await self._catalogue.listing(command.tenant_id, command.listing_id)).listing
        if not listing.queue.enabled:
            raise QueueNotEnabledError(listing.id)
        now = self._clock.now()
        joined = await self._room.join(listing.id, command.subject, self._ids.new_id(), now)
        return QueueJoined(self._status.of(listing, joined.ticket), joined.created)
