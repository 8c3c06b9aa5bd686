"""Take a provider's webhook delivery: verify it, store it once, and claim it for handling."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payments import WebhookVerifier
from application.ports.repositories import UnitOfWorkFactory
from application.ports.webhooks import InboxEntry
from application.use_cases.process_webhook_event import new_lease
from domain.errors import InvalidValueError
from domain.webhooks import InboxStatus

MAX_ID_LENGTH = 255  # what the inbox stores of an event id or type


@dataclass(frozen=True, slots=True)
class ReceiveWebhook:
    payload: bytes  # the raw body exactly as delivered: the signature covers these bytes
    signature: str | None  # the provider's signature header, if any


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    event_id: str
    duplicate: bool
    claimed: InboxEntry | None  # the stored entry, leased to the caller, who should process it


class ReceiveWebhookHandler:
    """Nothing is stored unless the signature holds (the verifier raises a 4xx domain error).

    The first delivery of an event id stores it, leased to this caller so that it can handle the
    event right away and no retry sweep takes it meanwhile. Every later delivery, even one that
    races the first, is a duplicate and changes nothing. Both are acknowledged: once the event is
    stored the provider should stop resending it, whatever becomes of handling it.
    """

    def __init__(self, verifier: WebhookVerifier, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._verifier, self._uow, self._clock, self._ids = verifier, uow, clock, ids

    async def __call__(self, command: ReceiveWebhook) -> WebhookReceipt:
        event = self._verifier.verify(command.payload, command.signature)
        for name, value in (("id", event.id), ("type", event.type)):
            if not 0 < len(value) <= MAX_ID_LENGTH:
                raise InvalidValueError(f"event.{name}", f"must be 1 to {MAX_ID_LENGTH} characters")
        now = self._clock.now()
        entry = InboxEntry(event, InboxStatus.RECEIVED, 0, now, now, now, lease=new_lease(self._ids, now))
        async with self._uow() as uow:
            stored = await uow.webhooks.add(entry)
            await uow.commit()
        return WebhookReceipt(event.id, duplicate=not stored, claimed=entry if stored else None)
