"""The transactional outbox: domain events recorded in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from domain.events import DomainEvent


class OutboxRepository(Protocol):
    """Part of the unit of work: the events commit or vanish with the state change that made
    them, so nothing is ever announced that did not happen, nor happens unannounced. Relaying
    the records to subscribers is another job's."""

    async def add(self, events: Iterable[DomainEvent]) -> None:
        """Record the events, in order, each numbered after the last one of its aggregate.

        An event already added in this unit of work is skipped, so a use case may add an
        aggregate's events even when saving the aggregate has recorded them already.
        """
        ...
