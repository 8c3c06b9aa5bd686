"""Where seat maps are stored: in the system of record, in the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.seat_maps import ListingSeatMap, MappedCabin, MappedSeat


class SeatMapRepository(Protocol):
    async def get(self, listing_id: UUID) -> ListingSeatMap | None:
        """The listing's seat map, or None when it has none."""
        ...

    async def replace(self, listing_id: UUID, cabins: Sequence[MappedCabin], seats: Sequence[MappedSeat]) -> None:
        """Make the listing's seat map exactly ``cabins`` and ``seats``."""
        ...
