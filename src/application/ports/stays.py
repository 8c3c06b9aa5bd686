"""The stays repository: room types, their rules, owner blocks and night pools (domain.stays)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from domain.listings import Pool
from domain.stays import RoomType, StayBlock, StayRules


class StayRepository(Protocol):
    async def add_room_type(self, room_type: RoomType) -> None:
        """Raises ``DuplicateError`` when the listing has a room type of that code."""

    async def room_types(self, tenant_id: UUID, listing_id: UUID) -> list[RoomType]:
        """The listing's room types, oldest first."""

    async def room_type(self, tenant_id: UUID, listing_id: UUID, code: str) -> RoomType:
        """Raises ``NotFoundError`` when the listing has no room type of that code."""

    async def all_room_types(self, after: UUID | None, limit: int) -> list[RoomType]:
        """Every tenant's room types a page at a time, by id (the horizon job's walk)."""

    async def rules(self, listing_id: UUID) -> dict[UUID | None, StayRules]:
        """The listing's rules by room type id; the property's own under ``None``."""

    async def set_rules(self, listing_id: UUID, room_type_id: UUID | None, rules: StayRules, at: datetime) -> None:
        """Replaces the property's rules (``room_type_id`` None) or a room type's."""

    async def add_block(self, block: StayBlock) -> None: ...

    async def block(self, tenant_id: UUID, listing_id: UUID, block_id: UUID) -> StayBlock:
        """Raises ``NotFoundError`` when there is no such block."""

    async def delete_block(self, block_id: UUID) -> None: ...

    async def listing_blocks(self, tenant_id: UUID, listing_id: UUID) -> list[StayBlock]:
        """The listing's blocks, by first night."""

    async def blocks(self, room_type_id: UUID, start: date, end: date) -> list[StayBlock]:
        """The room type's blocks that cover any night of [start, end)."""

    async def add_night_pools(self, pools: list[Pool]) -> None:
        """Adds a room type's new night pools (none sold), in one statement or a few."""

    async def night_pools(self, room_type_id: UUID, start: date, end: date) -> list[Pool]:
        """The room type's night pools for the nights [start, end), by night."""

    async def last_night(self, room_type_id: UUID) -> date | None:
        """The latest night the room type has a pool for (None: none yet)."""
