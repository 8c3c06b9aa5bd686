"""The outbox relay's side of the outbox: unpublished records, taken in order, marked published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A recorded event: its CloudEvents ``type`` and ``data``, numbered ``sequence`` in its aggregate."""

    id: UUID
    type: str
    tenant_id: UUID
    aggregate_id: UUID
    sequence: int
    data: dict[str, Any]


class OutboxRelay(Protocol):
    """Part of the unit of work, so that publishing and what publishing writes commit together."""

    async def take_unpublished(self, limit: int) -> list[OutboxRecord]:
        """Unpublished records, whole aggregates at a time (a long chain may be cut at ``limit``),
        each aggregate's in sequence order starting at its lowest unpublished one.

        The aggregates are locked until the unit of work ends; those another relay holds are
        skipped, not waited for, so concurrent relays never take the same record nor publish
        an aggregate's records out of order.
        """
        ...

    async def mark_published(self, ids: Sequence[UUID], now: datetime) -> None: ...
