"""Hold a seat of a flight: a named one, or any seat of a cabin."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.inventory import InventoryEngine
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.place_hold import PlaceHold, PlaceHoldHandler
from domain.errors import InsufficientInventoryError, InvalidValueError, NotFoundError
from domain.inventory import Hold
from domain.seat_maps import ListingSeatMap, MappedCabin, MappedSeat, SeatFeature

# How many times the free seats of a cabin are read again while every one read free was
# taken before this hold reached it (each seat is tried once per call, whatever the rounds).
PICK_ROUNDS = 3


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
    * any seat of a cabin: the cabin's seats are ranked by ``preferences`` (see
      ``ListingSeatMap.choices``), their free ones read in one counters call, and tried in that
      order with the engine as the only arbiter, each seat at most once. A full cabin (its
      count pool short) ends the search at once; after ``PICK_ROUNDS`` reads with nothing won,
      the cabin is reported short (a seat freed after that needs a new request). Concurrent
      pickers may lose a seat to each other and try the next; the engine never lets two take
      one. The pick is made here, not inside the engine: each try is one atomic engine call;
    * a retry with the id of an existing hold (``hold_id``) returns that hold when it is the same
      customer's hold of this cabin (or seat), else ``HoldMismatchError``.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: InventoryEngine, place_hold: PlaceHoldHandler) -> None:
        self._uow, self._engine, self._place_hold = uow, engine, place_hold

    async def __call__(self, command: PlaceSeatHold) -> SeatHold:
        seat_map = await self._seat_map(command)
        if command.seat is not None:
            return await self._hold(command, seat_map, _named(seat_map, command.seat, command.cabin))
        cabin = seat_map.cabin(command.cabin or "")
        retried = await self._retried_seat(command, seat_map, cabin)
        if retried is not None:
            return await self._hold(command, seat_map, retried)
        return await self._pick(command, seat_map, cabin)

    async def _seat_map(self, command: PlaceSeatHold) -> ListingSeatMap:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id)
            seat_map = await uow.seat_maps.get(listing.id)
        if seat_map is None:
            raise NotFoundError("seat map", command.listing_id)
        return seat_map

    async def _pick(self, command: PlaceSeatHold, seat_map: ListingSeatMap, cabin: MappedCabin) -> SeatHold:
        choices = seat_map.choices(cabin.code, dict(command.preferences))
        tried: set[UUID] = set()
        for _ in range(PICK_ROUNDS):
            free = await self._free(choices, tried)
            for mapped in free:
                tried.add(mapped.pool_id)
                try:
                    return await self._hold(command, seat_map, mapped)
                except InsufficientInventoryError as exc:
                    if cabin.pool_id in exc.short:
                        raise  # the cabin is full: no other seat of it can be free
            if not free:
                break
        raise InsufficientInventoryError({cabin.pool_id: 0})

    async def _free(self, choices: list[MappedSeat], tried: set[UUID]) -> list[MappedSeat]:
        """The untried seats of ``choices`` that are free now, in order (one counters call)."""
        untried = [mapped for mapped in choices if mapped.pool_id not in tried]
        found = {c.pool_id: c for c in await self._engine.counters([mapped.pool_id for mapped in untried])}
        return [mapped for mapped in untried if mapped.pool_id in found and found[mapped.pool_id].available > 0]

    async def _retried_seat(
        self, command: PlaceSeatHold, seat_map: ListingSeatMap, cabin: MappedCabin
    ) -> MappedSeat | None:
        """The seat an existing hold with ``command.hold_id`` took in ``cabin``, if any: asking
        for it again makes the engine answer the existing hold (or refuse a different one)."""
        if command.hold_id is None:
            return None
        existing = await self._engine.get_hold(command.hold_id)
        if existing is None:
            return None
        pools = {line.pool_id for line in existing.lines}
        seats = [mapped for mapped in seat_map.seats if mapped.seat.cabin == cabin.code and mapped.pool_id in pools]
        return seats[0] if seats else None

    async def _hold(self, command: PlaceSeatHold, seat_map: ListingSeatMap, mapped: MappedSeat) -> SeatHold:
        cabin = seat_map.cabin(mapped.seat.cabin)
        lines = ((mapped.pool_id, 1), (cabin.pool_id, 1))
        hold = await self._place_hold(
            PlaceHold(
                command.tenant_id,
                command.listing_id,
                command.customer_ref,
                lines,
                command.hold_id,
                command.ttl_seconds,
                command.subject,
                command.queue_pass,
            )
        )
        return SeatHold(hold, mapped.seat.code, cabin.code)


def _named(seat_map: ListingSeatMap, seat: str, cabin: str | None) -> MappedSeat:
    mapped = seat_map.seat(seat)
    if cabin is not None and mapped.seat.cabin != cabin:
        raise NotFoundError("seat", f"{seat} in cabin {cabin}")
    return mapped
