"""Read one's place in a listing's waiting room: position, estimated wait, and the pass."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.waiting_room import QueuePasses, WaitingRoom
from domain.errors import NotFoundError
from domain.listings import Listing
from domain.waiting_room import QueuePass, Ticket, TicketState


@dataclass(frozen=True, slots=True)
class QueueStatus:
    ticket: Ticket
    estimated_wait_seconds: int
    queue_pass: str | None  # signed; only while admitted and valid


class QueueStatusReader:
    """How a ticket reads to its holder: the wait estimated from the listing's batch size and
    period, and a pass signed for (listing, ticket, identity, pass expiry) while admitted."""

    def __init__(self, passes: QueuePasses) -> None:
        self._passes = passes

    def of(self, listing: Listing, ticket: Ticket) -> QueueStatus:
        token = None
        if ticket.state is TicketState.ADMITTED and ticket.pass_expires_at is not None:
            token = self._passes.sign(QueuePass(listing.id, ticket.id, ticket.subject, ticket.pass_expires_at))
        return QueueStatus(ticket, listing.queue.estimated_wait_seconds(ticket.position), token)


@dataclass(frozen=True, slots=True)
class GetQueueTicket:
    tenant_id: UUID
    listing_id: UUID
    ticket_id: UUID
    subject: str


class GetQueueTicketHandler:
    """Only the identity that joined sees its ticket: another identity's (or another tenant's
    listing's) is not found, exactly like one that does not exist. A ticket whose pass expired
    reads ``expired`` until the next release forgets it."""

    def __init__(self, catalogue: CatalogueCache, room: WaitingRoom, status: QueueStatusReader, clock: Clock) -> None:
        self._catalogue, self._room, self._status, self._clock = catalogue, room, status, clock

    async def __call__(self, query: GetQueueTicket) -> QueueStatus:
        listing = (await self._catalogue.listing(query.tenant_id, query.listing_id)).listing
        ticket = await self._room.ticket(listing.id, query.ticket_id, self._clock.now())
        if ticket is None or ticket.subject != query.subject:
            raise NotFoundError("ticket", query.ticket_id)
        return self._status.of(listing, ticket)
