"""Dead letters for single items of a batch job, so that one bad item never stops the batch.

A batch job (the hold journal, the outbox relay...) that meets an item it can never process
records it here and carries on with the rest; an operator sees it with the job's other dead
letters (``holdfast jobs status``, ``holdfast jobs dead-letters``, ``GET /v1/ops/jobs``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID, uuid5

from application.ports.clock import Clock
from application.ports.jobs import DeadLetter, DeadLetterStore, JobArgs, RefusedItem
from application.use_cases.process_webhook_event import describe
from domain.errors import DomainError, PaymentProviderUnavailableError

T = TypeVar("T")
# What an item's own content or state raises, as opposed to a dependency that is down: a rule
# it breaks, a value that does not parse, something it names that is not there.
ITEM_FAULTS = (DomainError, LookupError, ValueError, TypeError)
# Domain errors that say a dependency is down: every item would fail alike, so the round fails.
DEPENDENCY_DOWN = (PaymentProviderUnavailableError,)

# Letters of items have ids derived from the job and the item, so that meeting the same item
# again (its batch re-read after a crash, or a retry) never letters it twice.
_ITEMS = UUID("3f1d7c52-8a4e-4f0b-9a57-0c1e6b2d9e41")


class ItemDeadLetters:
    """Records the items of job ``job`` that could not be processed.

    Such a letter names the item in its ``args`` and says why in its ``error``. Replaying it
    runs a round of the job: an item still waiting (an unpublished event, a due notification or
    booking) is tried again in it; a hold the journal passed over is not (its cursor moved on),
    so that letter is replayed to acknowledge it once the hold has been dealt with by hand
    (``holdfast reconcile inventory`` reports its units as drift).
    """

    def __init__(self, store: DeadLetterStore, clock: Clock, job: str) -> None:
        self._store, self._clock, self._job = store, clock, job

    async def run(self, ident: str, args: JobArgs, work: Callable[[], Awaitable[T]]) -> T | None:
        """``work`` for one item; if the item itself is at fault (``ITEM_FAULTS``) it is lettered
        and None returned, so the caller goes on with the next. A dependency that is down
        (``DEPENDENCY_DOWN``, or an error of a driver) fails the round as before."""
        try:
            return await work()
        except DEPENDENCY_DOWN:
            raise
        except ITEM_FAULTS as exc:
            await self.record(RefusedItem(ident, describe(exc)), args)
            return None

    async def record(self, refused: RefusedItem, args: JobArgs) -> None:
        letter_id = uuid5(_ITEMS, f"{self._job}:{refused.ident}")
        error = f"{refused.ident} was left out of its batch: {refused.reason}"
        await self._store.add(DeadLetter(letter_id, self._job, args, None, error, 1, self._clock.now()))
