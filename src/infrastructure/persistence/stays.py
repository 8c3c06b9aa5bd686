"""The SQL stays repository: room types, stay rules, owner blocks, and a room type's night pools."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DuplicateError, NotFoundError
from domain.listings import Pool
from domain.money import Money
from domain.stays import RoomType, StayBlock, StayRules
from infrastructure.persistence.mappers import pool_from_row, pool_to_row
from infrastructure.persistence.stay_tables import room_types, stay_blocks, stay_rules
from infrastructure.persistence.tables import pools
from infrastructure.persistence.upsert import chunks, insert_for


def _mask(days: frozenset[int]) -> int:
    return sum(1 << day for day in days)


def _days(mask: int) -> frozenset[int]:
    return frozenset(day for day in range(7) if mask & (1 << day))


def _room_type(row: Any) -> RoomType:
    price = Money(row.base_price, row.currency)
    return RoomType(row.id, row.tenant_id, row.listing_id, row.code, row.name, row.units, price, row.created_at)


def _rules(row: Any) -> StayRules:
    return StayRules(
        row.min_nights, row.max_nights, row.buffer_days, _days(row.check_in_days), _days(row.check_out_days)
    )


def _block(row: Any) -> StayBlock:
    return StayBlock(
        row.id,
        row.tenant_id,
        row.listing_id,
        row.room_type_id,
        row.start,
        row.end,
        row.units,
        row.reason,
        row.created_at,
    )


class SqlStayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_room_type(self, room_type: RoomType) -> None:
        values = {
            "id": room_type.id,
            "tenant_id": room_type.tenant_id,
            "listing_id": room_type.listing_id,
            "code": room_type.code,
            "name": room_type.name,
            "units": room_type.units,
            "base_price": room_type.base_price.amount,
            "currency": room_type.base_price.currency,
            "created_at": room_type.created_at,
        }
        try:
            async with self._session.begin_nested():
                await self._session.execute(insert(room_types).values(**values))
        except IntegrityError as exc:
            raise DuplicateError(f"listing {room_type.listing_id} has a room type {room_type.code!r}") from exc

    async def room_types(self, tenant_id: UUID, listing_id: UUID) -> list[RoomType]:
        mine = room_types.c.tenant_id == tenant_id, room_types.c.listing_id == listing_id
        statement = select(room_types).where(*mine).order_by(room_types.c.created_at, room_types.c.code)
        return [_room_type(row) for row in await self._session.execute(statement)]

    async def room_type(self, tenant_id: UUID, listing_id: UUID, code: str) -> RoomType:
        statement = select(room_types).where(
            room_types.c.tenant_id == tenant_id, room_types.c.listing_id == listing_id, room_types.c.code == code
        )
        row = (await self._session.execute(statement)).first()
        if row is None:
            raise NotFoundError("room type", code)
        return _room_type(row)

    async def all_room_types(self, after: UUID | None, limit: int) -> list[RoomType]:
        statement = select(room_types).order_by(room_types.c.id).limit(limit)
        if after is not None:
            statement = statement.where(room_types.c.id > after)
        return [_room_type(row) for row in await self._session.execute(statement)]

    async def rules(self, listing_id: UUID) -> dict[UUID | None, StayRules]:
        rows = await self._session.execute(select(stay_rules).where(stay_rules.c.listing_id == listing_id))
        return {row.room_type_id: _rules(row) for row in rows}

    async def set_rules(self, listing_id: UUID, room_type_id: UUID | None, rules: StayRules, at: datetime) -> None:
        values = {
            "min_nights": rules.min_nights,
            "max_nights": rules.max_nights,
            "buffer_days": rules.buffer_days,
            "check_in_days": _mask(rules.check_in_days),
            "check_out_days": _mask(rules.check_out_days),
            "updated_at": at,
        }
        key = {"listing_id": listing_id, "scope": room_type_id or listing_id, "room_type_id": room_type_id}
        statement = insert_for(self._session, stay_rules).values(**key, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["listing_id", "scope"], set_=values)
        )

    async def add_block(self, block: StayBlock) -> None:
        values = {
            "id": block.id,
            "tenant_id": block.tenant_id,
            "listing_id": block.listing_id,
            "room_type_id": block.room_type_id,
            "start": block.start,
            "end": block.end,
            "units": block.units,
            "reason": block.reason,
            "created_at": block.created_at,
        }
        await self._session.execute(insert(stay_blocks).values(**values))

    async def block(self, tenant_id: UUID, listing_id: UUID, block_id: UUID) -> StayBlock:
        statement = select(stay_blocks).where(
            stay_blocks.c.id == block_id, stay_blocks.c.tenant_id == tenant_id, stay_blocks.c.listing_id == listing_id
        )
        row = (await self._session.execute(statement)).first()
        if row is None:
            raise NotFoundError("block", block_id)
        return _block(row)

    async def delete_block(self, block_id: UUID) -> None:
        await self._session.execute(delete(stay_blocks).where(stay_blocks.c.id == block_id))

    async def listing_blocks(self, tenant_id: UUID, listing_id: UUID) -> list[StayBlock]:
        mine = stay_blocks.c.tenant_id == tenant_id, stay_blocks.c.listing_id == listing_id
        statement = select(stay_blocks).where(*mine).order_by(stay_blocks.c.start, stay_blocks.c.id)
        return [_block(row) for row in await self._session.execute(statement)]

    async def blocks(self, room_type_id: UUID, start: date, end: date) -> list[StayBlock]:
        statement = (
            select(stay_blocks)
            .where(stay_blocks.c.room_type_id == room_type_id, stay_blocks.c.start < end, stay_blocks.c.end > start)
            .order_by(stay_blocks.c.start, stay_blocks.c.id)
        )
        return [_block(row) for row in await self._session.execute(statement)]

    async def add_night_pools(self, new: list[Pool]) -> None:
        for rows in chunks([{**pool_to_row(pool), "sold": 0} for pool in new]):
            await self._session.execute(insert(pools), rows)

    async def night_pools(self, room_type_id: UUID, start: date, end: date) -> list[Pool]:
        statement = (
            select(pools)
            .where(pools.c.room_type_id == room_type_id, pools.c.night >= start, pools.c.night < end)
            .order_by(pools.c.night)
        )
        return [pool_from_row(row) for row in await self._session.execute(statement)]

    async def last_night(self, room_type_id: UUID) -> date | None:
        statement = select(func.max(pools.c.night)).where(pools.c.room_type_id == room_type_id)
        found: date | None = await self._session.scalar(statement)
        return found
