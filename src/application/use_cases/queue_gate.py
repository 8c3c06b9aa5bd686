"""The hold path's check of a queue pass, for listings in queue mode."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.ports.waiting_room import QueuePasses, WaitingRoom
from domain.listings import Listing
from domain.waiting_room import (
    QueuePassExpiredError,
    QueuePassInvalidError,
    QueuePassRequiredError,
)


class QueueGate:
    """While a listing's queue mode is on, a hold needs a pass (403 ``queue_pass_required``)
    that this service signed (else ``queue_pass_invalid``), for this listing and this identity
    (else ``queue_pass_invalid``), still valid (else ``queue_pass_expired``), whose place is still
    admitted, and that has admitted fewer holds than the listing allows per pass (else
    ``queue_pass_used_up``). The signature and expiry cost no I/O; the count is one atomic call
    to the room (one Redis script call on the redis engine: no Postgres), and a retried hold
    (same hold id) is counted once. A listing not in queue mode costs nothing."""

    def __init__(self, passes: QueuePasses, room: WaitingRoom) -> None:
        self._passes, self._room = passes, room

    async def admit(
        self, listing: Listing, subject: str, token: str | None, hold_id: UUID, now: datetime
    ) -> UUID | None:
        """The ticket the hold was counted on by this call (None: no queue, or counted by an
        earlier try of the same hold), or one of ``QUEUE_PASS_ERRORS``."""
        if not listing.queue.enabled:
            return None
        if not token:
            raise QueuePassRequiredError(listing.id)
        found = self._passes.read(token)
        if found.listing_id != listing.id:
            raise QueuePassInvalidError("it was issued for another listing")
        if found.subject != subject:
            raise QueuePassInvalidError("it was issued to another identity")
        if found.expires_at <= now:
            raise QueuePassExpiredError()
        limit = listing.queue.holds_per_pass
        counted = await self._room.use_pass(listing.id, found.ticket_id, subject, hold_id, limit, now)
        return found.ticket_id if counted else None

    async def refund(self, listing: Listing, ticket_id: UUID, hold_id: UUID) -> None:
        """The engine refused the hold counted by ``admit``: its count goes back to the pass
        (only a count made by that call: a hold id reused for another request must not give
        back the count of the hold that has it)."""
        await self._room.unuse_pass(listing.id, ticket_id, hold_id)
