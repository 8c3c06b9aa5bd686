"""A booking's hold, as the inventory engine still knows it or no longer does.

When the engine lost its state (an emptied Redis) and was rebuilt from Postgres, the holds it
had not journaled yet and those already due are not rebuilt: lost holds count as expired. The
engine no longer knows them (``NotFoundError``), as it forgets any ended hold after its
retention; but a booking still names its hold. So the use cases that end or sell a booking take
an unknown hold for an expired one that holds nothing. While the engine has no state at all it
never calls a hold unknown (``InventoryUnavailableError``), so nothing is decided on a loss that
has not been rebuilt yet.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from uuid import UUID

from application.ports.inventory import InventoryEngine
from domain.errors import NotFoundError

# What the engine says of a hold it lost or forgot: for a booking's hold, an expired one.
HOLD_GONE = NotFoundError


async def release_booked_hold(engine: InventoryEngine, hold_id: UUID, now: datetime) -> None:
    """Give back the units a booking's hold still holds; a hold the engine lost holds none."""
    with suppress(HOLD_GONE):
        await engine.release(hold_id, now)
