"""A webhook handler that records what it was given: a fake of our own port, not of Stripe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from application.ports.payments import GatewayEvent


class HandlerFailedError(RuntimeError):
    """What the recording handler raises while it is told to fail."""


class RecordingWebhookHandler:
    """Accepts the given event types, records each ``handle`` call, and fails while ``failures`` > 0.

    ``gate``, when set, holds every call until it is opened: tests use it to keep an event
    "being handled" while they race other workers against it. ``started`` is set on each call.
    """

    def __init__(self, types: Iterable[str] = ("payment_intent.succeeded",)) -> None:
        self.types = frozenset(types)
        self.handled: list[GatewayEvent] = []
        self.failures = 0
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    def accepts(self, event_type: str) -> bool:
        return event_type in self.types

    async def handle(self, event: GatewayEvent) -> None:
        self.handled.append(event)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            raise HandlerFailedError(f"cannot handle {event.id} yet")

    def count(self, event_id: str) -> int:
        return sum(1 for event in self.handled if event.id == event_id)
