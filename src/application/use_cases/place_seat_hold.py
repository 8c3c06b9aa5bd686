"""Hold a seat of a flight: a named one, or any seat of a cabin."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.place_hold import PlaceHold, PlaceHoldHandler
from domain.errors import InsufficientInventoryError, InvalidValueError, NotFoundError
from domain.inventory import Hold
from domain.seat_maps import ListingSeatMap, MappedCabin, MappedSeat, SeatFeature


@dataclass(frozen=True, slots=True)
class PlaceSeatHold:
    tenant_id: UUID
    listing_id: UUID
    customer_ref: str
    seat: str | None = None
    cabin: str | None = None
    preferences: tuple[tuple[SeatFeature, bool], ...] = ()
    hold_id: UUID | None = None
    ttl_seconds: int | None = None
    subject: str = ""
    queue_pass: str | None = None

    def __post_init__(self) -> None:
        if self.seat is None and self.cabin is None:
            raise InvalidValueError("seat", "name a seat, or a cabin to hold any of its seats")


@dataclass(frozen=True, slots=True)
class SeatHold:
    hold: Hold
    seat: str  # the seat's code: "12A"
    cabin: str


class PlaceSeatHoldHandler:
    """Rules:

    * a seat hold is one hold of two lines: the seat's pool and its cabin's count pool, one
      unit each, reserved all or nothing by the engine, so a cabin's count always equals the
      seats taken in it; its total is the seat's price (cabin price + seat surcharge);
    * it goes through ``PlaceHoldHandler``: queue passes, the per-customer limit (which counts
      units: a seat is two, its seat and its cabin unit), hold TTL and prices alike;
    * a named seat that is taken is ``InsufficientInventoryError`` naming its pool; a cabin named
      with it must be the seat's (else ``NotFoundError``), and preferences do not matter;
    * any seat of a cabin: one hold of the cabin's pool plus a choice line of the cabin's seats,
      ranked by ``preferences`` (``ListingSeatMap.choices``): the engine takes the first free
      seat in that order in the same atomic step as the cabin unit, so concurrent pickers never
      lose a seat to each other by a stale read. A full cabin is ``InsufficientInventoryError``
      naming the cabin's pool;
    * a retry with the id of an existing hold (``hold_id``) returns that hold when it is the same
      request (the same seat, or any seat of the same cabin), else ``HoldMismatchError``.
    """

    def __init__(self, uow: UnitOfWorkFactory, place_hold: PlaceHoldHandler) -> None:
        self._uow, self._place_hold = uow, place_hold

    async def __call__(self, command: PlaceSeatHold) -> SeatHold:
        seat_map = await self._seat_map(command)
        if command.seat is not None:
            mapped = _named(seat_map, command.seat, command.cabin)
            return await self._hold(command, seat_map.cabin(mapped.seat.cabin), named=mapped)
        cabin = seat_map.cabin(command.cabin or "")
        choices = seat_map.choices(cabin.code, dict(command.preferences))
        try:
            return await self._hold(command, cabin, choices=tuple(choices))
        except InsufficientInventoryError as exc:
            # Every seat of the cabin is taken when its count is: the cabin is what was short.
            raise InsufficientInventoryError({cabin.pool_id: exc.short.get(cabin.pool_id, 0)}) from exc

    async def _seat_map(self, command: PlaceSeatHold) -> ListingSeatMap:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id)
            seat_map = await uow.seat_maps.get(listing.id)
        if seat_map is None:
            raise NotFoundError("seat map", command.listing_id)
        return seat_map

    async def _hold(
        self,
        command: PlaceSeatHold,
        cabin: MappedCabin,
        named: MappedSeat | None = None,
        choices: tuple[MappedSeat, ...] = (),
    ) -> SeatHold:
        """One unit of the cabin and the ``named`` seat, or the engine's pick of ``choices``."""
        seat_line = () if named is None else ((named.pool_id, 1),)
        hold = await self._place_hold(
            PlaceHold(
                command.tenant_id,
                command.listing_id,
                command.customer_ref,
                (*seat_line, (cabin.pool_id, 1)),
                command.hold_id,
                command.ttl_seconds,
                command.subject,
                command.queue_pass,
                tuple((mapped.pool_id, 1) for mapped in choices),
            )
        )
        taken = {line.pool_id for line in hold.lines}
        seat = next(mapped.seat.code for mapped in (choices if named is None else (named,)) if mapped.pool_id in taken)
        return SeatHold(hold, seat, cabin.code)


def _named(seat_map: ListingSeatMap, seat: str, cabin: str | None) -> MappedSeat:
    mapped = seat_map.seat(seat)
    if cabin is not None and mapped.seat.cabin != cabin:
        raise NotFoundError("seat", f"{seat} in cabin {cabin}")
    return mapped
