"""Finish or undo the booking changes that a crash or an unpaid difference left open."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.booking_change_steps import RESUME_AFTER, BookingChangeSteps
from domain.booking_changes import BookingChange


class ResumeBookingChangesHandler:
    """Run by the ``expire_holds`` job. A change ``held`` for ``RESUME_AFTER`` was interrupted
    (its request would have moved it on): it is swapped if its new hold is confirmed or may
    still be, else undone. A change awaiting a payment that is due: swapped if paid, else its
    intent is cancelled and it fails, leaving the booking as it was (``BookingChangeSteps``).
    Safe anywhere, any number of times: each step acts once on a change that is still open."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, steps: BookingChangeSteps) -> None:
        self._uow, self._clock, self._steps = uow, clock, steps

    async def __call__(self, limit: int = 100) -> list[BookingChange]:
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.booking_changes.to_resume(now, now - RESUME_AFTER, limit)
        ended = [await self._steps.resume(change) for change in found]
        return [change for change in ended if not change.is_open]
