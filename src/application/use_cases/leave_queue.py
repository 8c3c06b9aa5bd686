"""Leave a listing's waiting room."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.waiting_room import WaitingRoom
from domain.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class LeaveQueue:
    tenant_id: UUID
    listing_id: UUID
    ticket_id: UUID
    subject: str


class LeaveQueueHandler:
    """The place is given up, and its pass stops admitting holds. Only the identity that joined
    may leave: another's ticket, or one already left, is not found."""

    def __init__(self, catalogue: CatalogueCache, room: WaitingRoom) -> None:
        self._catalogue, self._room = catalogue, room

    async def __call__(self, command: LeaveQueue) -> None:
        listing = (await self._catalogue.listing(command.tenant_id, command.listing_id)).listing
        if not await self._room.leave(listing.id, command.ticket_id, command.subject):
            raise NotFoundError("ticket", command.ticket_id)
