"""The waiting room's store, and the signer of its queue passes.

Rules every ``WaitingRoom`` adapter keeps (tests/property/test_waiting_room_machine.py holds
them to a reference model):

* one place per identity per listing: joining while waiting, or while admitted with a pass
  still valid, returns that same ticket; after its pass expired, a join is a new place at the back;
* first come, first served: places are numbered in join order and admitted in that order;
  ``position`` is exact (1 + the places still waiting ahead);
* a release admits up to ``batch_size`` waiting places at once, all or none (one Lua script
  call, or one transaction), at most once per ``period_seconds`` per listing, however many
  workers run it or retry it: a place is never admitted twice, and none is skipped;
* a release also forgets the places whose pass has expired (their ticket reads as absent);
* each call is atomic: a process killed during one leaves it done or not done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.waiting_room import Joined, QueuePass, QueueSettings, Ticket


class WaitingRoom(Protocol):
    async def join(self, listing_id: UUID, subject: str, ticket_id: UUID, now: datetime) -> Joined:
        """The identity's place: its current one, else a new one with id ``ticket_id``."""
        ...

    async def ticket(self, listing_id: UUID, ticket_id: UUID, now: datetime) -> Ticket | None:
        """The ticket as it reads at ``now`` (waiting, admitted or expired), None if unknown."""
        ...

    async def leave(self, listing_id: UUID, ticket_id: UUID, subject: str) -> bool:
        """Gives the place up (its pass with it); False if there is no such ticket of ``subject``."""
        ...

    async def release(self, listing_id: UUID, queue: QueueSettings, now: datetime) -> int:
        """Admits the next ``queue.batch_size`` places if the last release is at least a period
        old (their passes valid for ``queue.pass_ttl_seconds``); returns how many were admitted."""
        ...

    async def use_pass(
        self, listing_id: UUID, ticket_id: UUID, subject: str, hold_id: UUID, limit: int, now: datetime
    ) -> bool:
        """Counts hold ``hold_id`` on the ticket's pass, at most ``limit`` holds per pass (the
        same hold id counts once: True if counted by this call, False if counted before).
        ``QueuePassInvalidError`` if the place is gone or not ``subject``'s,
        ``QueuePassExpiredError``, ``QueuePassUsedUpError``."""
        ...

    async def unuse_pass(self, listing_id: UUID, ticket_id: UUID, hold_id: UUID) -> None:
        """Gives back the count of a hold the engine then refused (harmless if not counted)."""
        ...


class QueuePasses(Protocol):
    """Signs queue passes, and reads back only passes it signed."""

    def sign(self, queue_pass: QueuePass) -> str: ...

    def read(self, token: str) -> QueuePass:
        """The pass; ``QueuePassInvalidError`` for a forged, altered or garbled one."""
        ...
