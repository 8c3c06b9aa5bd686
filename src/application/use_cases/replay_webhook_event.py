"""An operator's "handle this webhook event again, now"."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import UnitOfWorkFactory
from application.ports.webhooks import InboxEntry
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler, new_lease
from domain.errors import ConflictError


class ReplayWebhookEventHandler:
    """Any event nobody is handling at the moment (dead, failed, processed, ignored, or received
    with a lapsed lease) goes back to ``received`` with a fresh attempt count and is handled in
    this call; its new state is returned. An event being handled right now is a conflict: the
    operator tries again once that handling is done. An unknown id is ``NotFoundError``.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, process: ProcessWebhookEventHandler
    ) -> None:
        self._uow, self._clock, self._ids, self._process = uow, clock, ids, process

    async def __call__(self, event_id: str) -> InboxEntry:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.webhooks.replay(event_id, now, new_lease(self._ids, now))
            if claimed is not None:
                await uow.audit.record("webhook_event.replay", "webhook_event", event_id)
            await uow.commit()
        outcome = None if claimed is None else await self._process(claimed)
        if outcome is None:
            raise ConflictError(f"webhook event {event_id} is being handled right now; try again later")
        return outcome
