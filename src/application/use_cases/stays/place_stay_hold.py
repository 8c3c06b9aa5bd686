"""Hold a stay: one all-or-nothing hold over its nights (and its buffer nights)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.place_hold import PlaceHold, PlaceHoldHandler
from application.use_cases.stays.prices import night_price
from domain.errors import InsufficientInventoryError
from domain.inventory import Hold
from domain.listings import Pool
from domain.stays import NightsNotOnSaleError, Stay, check_not_blocked, require_stay_property, rules_for
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class PlaceStayHold:
    tenant_id: UUID
    listing_id: UUID
    room_type: str  # the room type's code
    check_in: date
    check_out: date
    quantity: int
    customer_ref: str
    hold_id: UUID | None = None
    subject: str = ""  # as PlaceHold's: the queue pass's identity
    queue_pass: str | None = None

    def __post_init__(self) -> None:
        check_line("room_type", self.room_type)


@dataclass(frozen=True, slots=True)
class StayPlan:
    """What a stay hold asks the engine for: pools and their prices, night by night."""

    lines: tuple[tuple[UUID, int], ...]
    prices: tuple[int, ...]
    nights: dict[UUID, date]  # pool -> night, to name the nights of a refusal


class PlaceStayHoldHandler:
    """Rules, in this order:

    * the listing is a stay property, the room type one of its own (else 409 / 404);
    * the stay keeps the room type's rules (its own, else the property's): not in the past,
      ``min_nights`` to ``max_nights`` nights, allowed check-in and check-out weekdays
      (``StayRuleError``, 422, its code naming the rule);
    * no night of the stay is blocked by the owner for every unit (``NightsBlockedError``); a
      buffer night is held like the others, so one with no unit left (held, sold or blocked)
      refuses the stay as ``insufficient_inventory``;
    * every night held (the stay's and its ``buffer_days`` nights after) is on sale
      (``NightsNotOnSaleError``);
    * then ONE hold through ``PlaceHoldHandler`` (queue pass, per-customer limit, the hold id
      for retries): a line a night of ``quantity`` units, the stay's nights at
      ``night_price``, buffer nights at 0. The engine alone decides whether the units are
      there, all nights or none: a night short is 409 ``insufficient_inventory`` naming it.

    The rules are read from the system of record, then the hold goes the usual way (the
    catalogue cache and the engine): a rule changed in between applies to the next hold.
    """

    def __init__(self, uow: UnitOfWorkFactory, place_hold: PlaceHoldHandler, clock: Clock) -> None:
        self._uow, self._place_hold, self._clock = uow, place_hold, clock

    async def __call__(self, command: PlaceStayHold) -> Hold:
        stay = Stay(command.check_in, command.check_out)
        plan = await self._plan(command, stay)
        hold = PlaceHold(
            command.tenant_id,
            command.listing_id,
            command.customer_ref,
            plan.lines,
            command.hold_id,
            subject=command.subject,
            queue_pass=command.queue_pass,
            unit_prices=plan.prices,
        )
        try:
            return await self._place_hold(hold)
        except InsufficientInventoryError as exc:
            raise _naming_nights(exc, plan.nights) from None

    async def _plan(self, command: PlaceStayHold, stay: Stay) -> StayPlan:
        async with self._uow() as uow:
            require_stay_property(await uow.listings.get(command.tenant_id, command.listing_id))
            room_type = await uow.stays.room_type(command.tenant_id, command.listing_id, command.room_type)
            rules = rules_for(room_type.id, await uow.stays.rules(command.listing_id))
            rules.check(stay, self._clock.now().date())
            nights, buffer = rules.held_nights(stay)
            check_not_blocked(
                nights, await uow.stays.blocks(room_type.id, stay.check_in, stay.check_out), room_type.units
            )
            end = stay.check_out + timedelta(days=rules.buffer_days)
            pools = {pool.night: pool for pool in await uow.stays.night_pools(room_type.id, stay.check_in, end)}
        return _planned(nights, buffer, pools, command.quantity)


def _planned(nights: list[date], buffer: list[date], pools: dict[date | None, Pool], quantity: int) -> StayPlan:
    missing = [night for night in nights + buffer if night not in pools]
    if missing:
        raise NightsNotOnSaleError(missing)
    held = [pools[night] for night in nights + buffer]
    prices = tuple(night_price(pools[night]) for night in nights) + (0,) * len(buffer)
    lines = tuple((pool.id, quantity) for pool in held)
    return StayPlan(lines, prices, {pool.id: pool.night for pool in held if pool.night is not None})


def _naming_nights(exc: InsufficientInventoryError, nights: dict[UUID, date]) -> InsufficientInventoryError:
    """The engine's refusal, its detail naming the nights short (its pools stay in ``short``)."""
    named = InsufficientInventoryError(exc.short)
    short = sorted((nights[pool], left) for pool, left in exc.short.items() if pool in nights)
    shown = ", ".join(f"{night} (available {left})" for night, left in short)
    named.message = f"no room left on the nights: {shown}"
    named.args = (named.message,)
    return named
