"""The daily job that keeps every room type's nights on sale for the whole horizon."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.errors import InventoryUnavailableError
from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.stays.night_pools import add_nights, horizon, missing_nights
from domain.stays import RoomType

PAGE = 100


@dataclass(slots=True)
class HorizonExtended:
    nights: int = 0  # night pools made
    cut_short: list[UUID] = field(default_factory=list)  # room types the pool limit stopped
    unavailable: list[UUID] = field(default_factory=list)  # room types whose listing's counters are lost


class ExtendStayHorizonHandler:
    """Rules:

    * each room type gets a night pool for every night of [today, today + ``horizon_days``)
      after its latest one (earlier nights are never made again: a past night is not sold);
    * one unit of work a room type, under its listing's row lock: the latest night is read after
      the lock is taken, so two workers running the job at once make each night once (the
      second finds the first's nights), and a run that is repeated makes nothing;
    * a listing never passes ``HOLDFAST_MAX_POOLS_PER_LISTING`` pools: the earliest nights that
      fit are made and the room type is reported cut short (past night pools count too);
    * a listing whose counters the engine has lost gets no new nights (they would make the
      loss look whole): its room types are reported and the others go on; the next round
      extends them once the counters are rebuilt.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        clock: Clock,
        ids: IdGenerator,
        catalogue: CatalogueCache,
        horizon_days: int,
        max_pools: int,
    ) -> None:
        self._uow, self._engine, self._clock, self._ids = uow, engine, clock, ids
        self._catalogue, self._horizon_days, self._max_pools = catalogue, horizon_days, max_pools

    async def __call__(self) -> HorizonExtended:
        done = HorizonExtended()
        after: UUID | None = None
        while True:
            async with self._uow() as uow:
                page = await uow.stays.all_room_types(after, PAGE)
            for room_type in page:
                try:
                    await self._extend(room_type, done)
                except InventoryUnavailableError:
                    done.unavailable.append(room_type.id)
            if len(page) < PAGE:
                return done
            after = page[-1].id

    async def _extend(self, room_type: RoomType, done: HorizonExtended) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.listings.get(room_type.tenant_id, room_type.listing_id, lock=True)
            nights = missing_nights(await uow.stays.last_night(room_type.id), *horizon(now.date(), self._horizon_days))
            if not nights:
                return
            made = await add_nights(
                uow, self._engine, self._ids, now, room_type, nights, self._max_pools, cut_short=True
            )
            if made:
                await uow.audit.record("room_type.extend", "room_type", room_type.id, after={"nights": len(made)})
                await uow.commit()
        if len(made) < len(nights):
            done.cut_short.append(room_type.id)
        if made:
            done.nights += len(made)
            await self._catalogue.changed_listing(room_type.listing_id)
