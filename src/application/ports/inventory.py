"""The inventory engine port: every engine (memory, SQL, Redis Lua) behaves exactly alike.

Rules every adapter keeps, proven by ``tests/property/test_engine_conformance.py``:

* per pool, at every instant, ``held + sold <= capacity`` (the capacity an engine is told is
  the pool's sellable one, overbooking included: engines know nothing of overbooking);
* a hold reserves all of its lines or none of them;
* a per-customer limit counts the units of the customer's active and confirmed holds on the
  listing, and is checked in the same atomic step as the reservation;
* before reserving, ``place_hold`` expires the listing's due holds, so units whose time is up
  are sellable at once instead of waiting for the sweep;
* expiry returns units exactly once, whichever of ``expire_due``, ``release`` or
  ``place_hold`` notices it first;
* ``confirm`` is idempotent; it refuses an expired (or due) hold with ``HoldExpiredError`` and
  a released one with ``HoldNotActiveError``, changing nothing;
* ``release`` is idempotent on released and expired holds; a due hold is expired, not released.

An engine whose state lives outside the system of record (Redis) can lose it. It then never
answers as if the lost state had never been: a call on a listing whose counters are gone, or a
lookup by id in an engine that has no state at all, raises ``InventoryUnavailableError``
(``application.errors``) rather than ``NotFoundError`` or a hold-shaped guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.inventory import Hold, HoldLine, PoolCounters


class InventoryEngine(Protocol):
    async def add_pool(self, counters: PoolCounters) -> PoolCounters:
        """Start counting a pool. Adding a pool that exists changes nothing and returns it."""
        ...

    async def place_hold(
        self,
        hold: Hold,
        customer_limit: int | None,
        *,
        fresh_id: bool = False,
        choice: Sequence[HoldLine] = (),
    ) -> Hold:
        """Reserve every line of ``hold`` or none of them.

        ``choice`` (``domain.inventory.check_choice``) is one more line, "any one of these": the
        first candidate, in the order given, whose pool has the candidate's quantity free is
        reserved with the other lines in the same atomic step and appended to the hold's lines
        (the hold returned says which). When none has, the refusal names every short line's pool
        and every candidate's; the customer limit counts the picked line too. A retry with the
        same id is safe when the existing hold is the lines plus one candidate
        (``same_choice_request``).

        A hold whose id exists is returned as it is when the request is the same (a safe
        retry) and refused with ``HoldMismatchError`` when it differs. ``fresh_id`` says the
        caller made the id up just now, so no hold can have it (an engine may then refuse
        without asking its store whether one does: the redis engine's sold-out latch). Raises
        ``InsufficientInventoryError`` naming every short pool, ``CustomerLimitExceededError``,
        or ``NotFoundError`` for a pool the engine does not count.
        """
        ...

    async def confirm(self, hold_id: UUID, now: datetime) -> Hold:
        """Turn the hold's held units into sold units."""
        ...

    async def release(self, hold_id: UUID, now: datetime) -> Hold:
        """Give an active hold's units back; confirmed holds are refused (cancel them instead)."""
        ...

    async def cancel(self, hold_id: UUID) -> Hold:
        """Give a confirmed hold's sold units back (its booking was cancelled). Idempotent."""
        ...

    async def expire_due(self, now: datetime, limit: int = 500) -> list[Hold]:
        """Expire up to ``limit`` holds whose time is up; returns the holds this call expired."""
        ...

    async def resize(self, pool_id: UUID, capacity: int) -> PoolCounters:
        """Set a pool's capacity; ``CapacityBelowCommittedError`` below held + sold."""
        ...

    async def get_hold(self, hold_id: UUID) -> Hold | None: ...

    async def has_state(self) -> bool:
        """False when the engine holds nothing at all: it was never used, or it lost everything
        (an emptied Redis). Only the catalogue can tell which (``inventory_state``). One cheap
        call, whatever the number of listings. Engines that cannot lose their state apart from
        the system of record always answer True."""
        ...

    async def counters(self, pool_ids: Sequence[UUID]) -> list[PoolCounters]:
        """Counters of the given pools (unknown ids are left out), in the order asked."""
        ...

    async def snapshot(self, listing_id: UUID | None = None) -> list[PoolCounters]:
        """Every pool's counters (or one listing's), for reconciliation."""
        ...

    async def restore(
        self, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> None:
        """Make one listing's counters and holds what the system of record says, in one atomic
        step (reconciliation's repair, and the rebuild after losing Redis).

        Each of ``pools`` gets exactly its capacity, held and sold (a pool not counted yet is
        added). ``holds`` are the listing's live holds (active or confirmed): each is kept, or
        created, in its given status. Every other hold active on the listing ends ``expired``
        without moving counters: lost holds count as expired. Customer counts are recounted from
        ``holds``. ``check_restorable`` refuses bad input before anything changes.
        """
        ...

    async def rebuild_lost(
        self, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> bool:
        """``restore``, but only while the listing's counters are lost, checked in the same atomic
        step: a listing the engine counts (or counts again, rebuilt by another process, and maybe
        holding new holds since) is left exactly as it is, and False is returned. Engines that
        cannot lose a listing's state apart from the system of record always return False."""
        ...
