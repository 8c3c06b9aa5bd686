"""Owner blocks: take units of a room type off sale for some nights, and give them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.inventory_state import counted
from application.use_cases.resize_pool import resize_in
from domain.errors import CapacityBelowCommittedError
from domain.listings import Pool
from domain.stays import (
    BlockExceedsUnitsError,
    BlockUnitsTakenError,
    NightsNotOnSaleError,
    StayBlock,
    nights_between,
    require_stay_property,
)
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class BlockNights:
    tenant_id: UUID
    listing_id: UUID
    room_type: str
    start: date
    end: date  # the first night not blocked
    units: int | None = None  # None: every unit of the room type
    reason: str = ""

    def __post_init__(self) -> None:
        check_line("reason", self.reason)


def block_summary(block: StayBlock) -> dict[str, object]:
    return {"room_type_id": block.room_type_id, "start": block.start, "end": block.end, "units": block.units}


class BlockNightsHandler:
    """Rules:

    * a block names a room type of a stay property, nights [start, end) that are on sale (each
      has its night pool: else ``NightsNotOnSaleError``), and ``units`` at most what each night
      still has unblocked (else ``BlockExceedsUnitsError``);
    * each night's pool shrinks by ``units`` (the resize of ``resize_in``): the engine, the only
      counter of units, then sells fewer. Units held or sold cannot be blocked: every such night
      is named (``BlockUnitsTakenError``) and nothing changes, on the engine either (a night
      already shrunk is grown back before the refusal);
    * one unit of work under the listing's row lock: two blocks of a listing never interleave.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, engine: InventoryEngine, clock: Clock, ids: IdGenerator, catalogue: CatalogueCache
    ) -> None:
        self._uow, self._engine, self._clock, self._ids, self._catalogue = uow, engine, clock, ids, catalogue

    async def __call__(self, command: BlockNights) -> StayBlock:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(command.tenant_id, command.listing_id, lock=True))
            room_type = await uow.stays.room_type(command.tenant_id, command.listing_id, command.room_type)
            block = StayBlock(
                id=self._ids.new_id(),
                tenant_id=command.tenant_id,
                listing_id=command.listing_id,
                room_type_id=room_type.id,
                start=command.start,
                end=command.end,
                units=room_type.units if command.units is None else command.units,
                reason=command.reason,
                created_at=self._clock.now(),
            )
            pools = await _nights_on_sale(uow, block)
            await self._shrink(uow, pools, block.units)
            await uow.stays.add_block(block)
            await uow.audit.record("stay_block.create", "stay_block", block.id, after=block_summary(block))
            await uow.commit()
        await self._catalogue.changed_listing(command.listing_id)
        return block

    async def _shrink(self, uow: UnitOfWork, pools: list[Pool], units: int) -> None:
        short = [pool.night for pool in pools if pool.capacity < units and pool.night is not None]
        if short:
            raise BlockExceedsUnitsError(short)
        live = await counted(self._engine, pools)
        taken = [p.night for p in pools if p.night is not None and live[p.id].available < units]
        if taken:
            raise BlockUnitsTakenError(taken)
        done: list[Pool] = []
        try:
            for pool in pools:
                await resize_in(uow, self._engine, pool, pool.capacity - units)
                done.append(pool)
        except CapacityBelowCommittedError:
            # A hold came in between the check and the resize: give the engine back what it lost.
            for pool in done:
                await self._engine.resize(pool.id, pool.sellable + units)
            failed = pools[len(done)].night
            raise BlockUnitsTakenError([failed] if failed else []) from None


class UnblockNightsHandler:
    """Lifts a block: each of its nights' pools grows back by the block's units (growing never
    fails), and the block is gone. Under the listing's row lock, like a block."""

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, catalogue: CatalogueCache) -> None:
        self._uow, self._engine, self._catalogue = uow, engine, catalogue

    async def __call__(self, tenant_id: UUID, listing_id: UUID, block_id: UUID) -> StayBlock:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(tenant_id, listing_id, lock=True))
            block = await uow.stays.block(tenant_id, listing_id, block_id)
            for pool in await uow.stays.night_pools(block.room_type_id, block.start, block.end):
                await resize_in(uow, self._engine, pool, pool.capacity + block.units)
            await uow.stays.delete_block(block.id)
            await uow.audit.record("stay_block.delete", "stay_block", block.id, before=block_summary(block))
            await uow.commit()
        await self._catalogue.changed_listing(listing_id)
        return block


class ListBlocksHandler:
    """A stay property's blocks, by first night (another kind of listing: 409)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> list[StayBlock]:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(tenant_id, listing_id))
            return await uow.stays.listing_blocks(tenant_id, listing_id)


async def _nights_on_sale(uow: UnitOfWork, block: StayBlock) -> list[Pool]:
    pools = await uow.stays.night_pools(block.room_type_id, block.start, block.end)
    have = {pool.night for pool in pools}
    missing = [night for night in nights_between(block.start, block.end) if night not in have]
    if missing:
        raise NightsNotOnSaleError(missing)
    return pools
