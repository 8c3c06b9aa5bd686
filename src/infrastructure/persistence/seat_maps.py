"""Seat maps in the system of record (tables in ``seat_map_tables``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.seat_maps import ListingSeatMap, MappedCabin, MappedSeat, Seat, SeatFeature
from infrastructure.persistence.seat_map_tables import seat_cabins, seats


class SqlSeatMapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, listing_id: UUID) -> ListingSeatMap | None:
        cabin_rows = await self._session.execute(
            select(seat_cabins).where(seat_cabins.c.listing_id == listing_id).order_by(seat_cabins.c.position)
        )
        cabins = tuple(_cabin(row) for row in cabin_rows.all())
        if not cabins:
            return None
        seat_rows = await self._session.execute(
            select(seats).where(seats.c.listing_id == listing_id).order_by(seats.c.row, seats.c.letter)
        )
        return ListingSeatMap(listing_id, cabins, tuple(_seat(row) for row in seat_rows.all()))

    async def replace(self, listing_id: UUID, cabins: Sequence[MappedCabin], mapped: Sequence[MappedSeat]) -> None:
        await self._session.execute(delete(seats).where(seats.c.listing_id == listing_id))
        await self._session.execute(delete(seat_cabins).where(seat_cabins.c.listing_id == listing_id))
        cabin_values = [_cabin_values(listing_id, position, cabin) for position, cabin in enumerate(cabins)]
        await self._session.execute(insert(seat_cabins), cabin_values)
        await self._session.execute(insert(seats), [_seat_values(listing_id, seat) for seat in mapped])


def _cabin(row: Any) -> MappedCabin:
    return MappedCabin(
        row.code, row.name, row.first_row, row.last_row, row.letters, row.price, row.currency, row.pool_id
    )


def _seat(row: Any) -> MappedSeat:
    features = frozenset(SeatFeature(name) for name in row.features.split(",") if name)
    seat = Seat(f"{row.row}{row.letter}", row.cabin, row.row, row.letter, features, row.surcharge)
    return MappedSeat(seat, row.pool_id)


def _cabin_values(listing_id: UUID, position: int, cabin: MappedCabin) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "code": cabin.code,
        "name": cabin.name,
        "position": position,
        "first_row": cabin.first_row,
        "last_row": cabin.last_row,
        "letters": cabin.letters,
        "price": cabin.price,
        "currency": cabin.currency,
        "pool_id": cabin.pool_id,
    }


def _seat_values(listing_id: UUID, mapped: MappedSeat) -> dict[str, Any]:
    seat = mapped.seat
    return {
        "pool_id": mapped.pool_id,
        "listing_id": listing_id,
        "cabin": seat.cabin,
        "row": seat.row,
        "letter": seat.letter,
        "features": ",".join(sorted(seat.features)),
        "surcharge": seat.surcharge,
    }
