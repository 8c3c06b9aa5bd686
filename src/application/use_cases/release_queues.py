"""Admit the next batch of every listing in queue mode (the ``release_queues`` job)."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from application.ports.waiting_room import WaitingRoom


class ReleaseQueuesHandler:
    """For each listing whose queue mode is on, one release: the next ``batch_size`` places,
    unless the listing's last release is less than its period old (the room checks that in the
    same atomic step, so the job may run often, on several workers, and be retried after a
    worker died, and still admits each place once and no batch early). Returns how many
    places were admitted."""

    def __init__(self, uow: UnitOfWorkFactory, room: WaitingRoom, clock: Clock) -> None:
        self._uow, self._room, self._clock = uow, room, clock

    async def __call__(self) -> int:
        async with self._uow() as uow:
            listings = await uow.listings.queued()
        now = self._clock.now()
        admitted = 0
        for listing in listings:
            admitted += await self._room.release(listing.id, listing.queue, now)
        return admitted
