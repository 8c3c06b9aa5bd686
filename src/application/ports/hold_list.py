"""Listing a tenant's holds: where the list is read from, and how fresh it is.

Each engine keeps its holds somewhere else, so the list has a port of its own:

- ``memory`` and ``sql``: the engine's own holds (the memory engine's dict, the ``inventory_holds``
  table), exact at the moment of the request;
- ``redis``: the Postgres ``hold_journal``, never Redis. A hold lives in Redis under its listing's
  hash tag, so a tenant-wide list would scan every listing's keys on the path every hold takes;
  the journal is the system of record's copy, indexed by tenant. It lags Redis by up to one
  round of the ``journal_holds`` job (every 5 s): a hold placed or ended since the last round is
  listed, or listed as it now is, from the next one; ended holds are listed until retention purges
  them (``HOLDFAST_RETENTION_DAYS``). ``GET /v1/holds/{id}`` reads Redis, and is live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports.repositories import Page, PageRequest
from domain.inventory import Hold, HoldStatus


@dataclass(frozen=True, slots=True)
class HoldFilter:
    """``status`` as a client sees it (``Hold.status_at``): an active hold whose time is up is
    ``expired`` before the expiry sweep has ended it."""

    listing_id: UUID | None = None
    customer_ref: str | None = None
    status: HoldStatus | None = None


class HoldList(Protocol):
    async def list_holds(self, tenant_id: UUID, where: HoldFilter, page: PageRequest, now: datetime) -> Page[Hold]:
        """The tenant's holds matching ``where``, oldest first (created_at, id), a page at a time."""
        ...
