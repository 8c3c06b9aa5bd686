"""Change a confirmed booking: other seats, other dates, another listing (flight) of the tenant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.payments import PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.booked_holds import release_booked_hold
from application.use_cases.booking_change_steps import BookingChangeSteps, CannotSwapError
from domain.booking_changes import (
    BookingChange,
    BookingNotChangeableError,
    ChangeInProgressError,
    ChangeState,
    NothingToChangeError,
    check_currency,
    same_lines,
)
from domain.bookings import Booking, BookingStatus
from domain.errors import NotFoundError
from domain.inventory import Hold, HoldLine
from domain.listings import Pool
from domain.refunds import outstanding


@dataclass(frozen=True, slots=True)
class ChangeBooking:
    tenant_id: UUID
    booking_id: UUID
    lines: tuple[tuple[UUID, int], ...]
    actor: str
    listing_id: UUID | None = None  # another listing of the tenant (a change of flight); None: the same
    customer_ref: str | None = None  # a signed-in customer changes only its own (else not found)


@dataclass(frozen=True, slots=True)
class ChangedBooking:
    change: BookingChange
    booking: Booking
    created: bool  # False: the request named a change made (or under way) already


class ChangeBookingHandler:
    """Rules:

    * only a ``confirmed`` booking can be changed (``BookingNotChangeableError``), one change at
      a time (``ChangeInProgressError``); a request for exactly what the booking has is
      ``NothingToChangeError`` unless its last change moved it there (a retry: that change);
      a request for what the change under way moves to is that change (a retry);
    * the new units are held first, by the engine, under the same rules as any hold (pools of
      the listing, the listing's hold TTL, prices locked now). The per-customer limit counts
      the customer's other units as usual, but not the units this very booking gives back on
      the same listing: the engine is asked with the limit raised by the old quantity, which
      is exactly "the customer's units after the swap stay within the limit". If the engine
      refuses (``InsufficientInventoryError``, ``CustomerLimitExceededError``), nothing is
      recorded and the booking is untouched;
    * the change is then recorded ``held``, under the booking's row lock (a concurrent change
      or cancellation found there releases the new hold and answers a conflict). A crash
      before that leaves only a hold that expires by itself;
    * equal or lower total: swapped at once (``BookingChangeSteps``), a lower one's
      difference refunded exactly once through the refund machinery. A lower total needing
      more back than the booking can still refund is refused before anything is held;
    * higher total: a PaymentIntent for the difference (key ``booking-change:<change id>``),
      the change ``awaiting_payment``; its capture swaps, and an unpaid one fails when its
      hold expires (the ``expire_holds`` job), leaving the booking as it was;
    * before anything else, a change of this booking left open by a crash is finished or
      undone (the next call completes it, as the job does).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engine: InventoryEngine,
        catalogue: CatalogueCache,
        clock: Clock,
        ids: IdGenerator,
        gateway: PaymentGateway,
        steps: BookingChangeSteps,
    ) -> None:
        self._uow, self._engine, self._catalogue = uow, engine, catalogue
        self._clock, self._ids, self._gateway, self._steps = clock, ids, gateway, steps

    async def __call__(self, command: ChangeBooking) -> ChangedBooking:
        booking, history = await self._read(command)
        if left := [change for change in history if self._steps.left_behind(change)]:
            for change in left:
                await self._steps.resume(change)  # a crash's leftovers: finish or undo first
            booking, history = await self._read(command)
        listing_id = command.listing_id or booking.listing_id
        if (found := _retried(booking, history, listing_id, command.lines)) is not None:
            return ChangedBooking(found, booking, created=False)
        if booking.status is not BookingStatus.CONFIRMED:
            raise BookingNotChangeableError(f"booking {booking.id} is {booking.status.value}: only a confirmed one")
        if any(change.is_open for change in history):
            raise ChangeInProgressError(f"booking {booking.id} has a change under way")
        change_id = self._ids.new_id()
        hold = await self._new_hold(command, booking, listing_id, change_id)
        change = await self._record(change_id, booking, hold, command.actor)
        change = await self._go_on(change)
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
        return ChangedBooking(change, booking, created=True)

    async def _read(self, command: ChangeBooking) -> tuple[Booking, list[BookingChange]]:
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
            if command.customer_ref not in (None, booking.customer_ref):
                raise NotFoundError("booking", command.booking_id)
            return booking, await uow.booking_changes.for_booking(booking.id)

    async def _new_hold(self, command: ChangeBooking, booking: Booking, listing_id: UUID, change_id: UUID) -> Hold:
        found = await self._catalogue.listing(command.tenant_id, listing_id)
        listing, now = found.listing, self._clock.now()
        lines = tuple(_line(found.pools, pool_id, quantity) for pool_id, quantity in command.lines)
        hold = Hold(
            id=BookingChange.hold_id_for(change_id),
            tenant_id=booking.tenant_id,
            listing_id=listing.id,
            customer_ref=booking.customer_ref,
            lines=lines,
            currency=found.pools[lines[0].pool_id].unit_price.currency,
            created_at=now,
            expires_at=now + timedelta(seconds=listing.hold_ttl_seconds),
        )
        check_currency(booking.total, hold.total_price)
        if hold.total_price.amount < booking.total.amount:
            await self._check_refundable(booking, booking.total.amount - hold.total_price.amount)
        limit = listing.per_customer_limit
        if limit is not None and listing.id == booking.listing_id:
            limit += sum(line.quantity for line in booking.lines)  # its own units go back in the swap
        return await self._engine.place_hold(hold, limit, fresh_id=True)

    async def _check_refundable(self, booking: Booking, amount: int) -> None:
        async with self._uow() as uow:
            reserved = outstanding(await uow.refunds.for_booking(booking.id))
        booking.check_refund(amount, reserved)

    async def _record(self, change_id: UUID, booking: Booking, hold: Hold, actor: str) -> BookingChange:
        now = self._clock.now()
        change = BookingChange(
            id=change_id,
            tenant_id=booking.tenant_id,
            booking_id=booking.id,
            state=ChangeState.HELD,
            old_hold_id=booking.hold_id,
            old_listing_id=booking.listing_id,
            old_lines=booking.lines,
            old_total=booking.total,
            new_hold_id=hold.id,
            new_listing_id=hold.listing_id,
            new_lines=hold.lines,
            new_total=hold.total_price,
            created_at=now,
            updated_at=now,
            due_at=hold.expires_at,
            actor=actor,
        )
        try:
            async with self._uow() as uow:
                current = await uow.bookings.get(booking.tenant_id, booking.id, lock=True)
                others = await uow.booking_changes.for_booking(booking.id)
                if current.status is not BookingStatus.CONFIRMED or current.hold_id != booking.hold_id:
                    raise BookingNotChangeableError(f"booking {booking.id} moved on meanwhile")
                if any(other.is_open for other in others):
                    raise ChangeInProgressError(f"booking {booking.id} has a change under way")
                await uow.booking_changes.add(change)
                after = {"change_id": change.id, "state": change.state, "new_total": change.new_total.amount}
                await uow.audit.record("booking.change_request", "booking", booking.id, after=after)
                await uow.commit()
        except Exception:
            await release_booked_hold(self._engine, hold.id, now)  # no change recorded: nothing holds it
            raise
        return change

    async def _go_on(self, change: BookingChange) -> BookingChange:
        if change.difference <= 0:
            try:
                return await self._steps.swap(change.tenant_id, change.id)
            except CannotSwapError as exc:
                return await self._steps.undo(change.tenant_id, change.id, str(exc))
        try:
            return await self._await_payment(change)
        except Exception:
            await self._steps.undo(change.tenant_id, change.id, "the payment for the difference could not be started")
            raise

    async def _await_payment(self, change: BookingChange) -> BookingChange:
        intent = await self._gateway.create_intent(
            amount=change.difference,
            currency=change.new_total.currency.lower(),
            metadata={
                "booking_id": str(change.booking_id),
                "change_id": str(change.id),
                "tenant_id": str(change.tenant_id),
                "pay_before": change.due_at.isoformat(),
            },
            idempotency_key=f"booking-change:{change.id}",
        )
        async with self._uow() as uow:
            stored = await uow.booking_changes.get(change.tenant_id, change.id, lock=True)
            stored.intent_id, stored.client_secret = intent.id, intent.client_secret
            stored.move_to(ChangeState.AWAITING_PAYMENT, self._clock.now())
            await uow.booking_changes.save(stored)
            await uow.commit()
        return stored


def _retried(
    booking: Booking, history: list[BookingChange], listing_id: UUID, lines: tuple[tuple[UUID, int], ...]
) -> BookingChange | None:
    """The change a request repeats: the one under way to that target, or the last one swapped
    there while the booking still has it. None for a new request; ``NothingToChangeError`` for
    a request for what the booking has without a change having moved it there."""
    for change in reversed(history):
        if change.is_open and change.same_target(listing_id, lines):
            return change
    if listing_id == booking.listing_id and same_lines(booking.lines, lines):
        last = next((c for c in reversed(history) if c.state is ChangeState.SWAPPED), None)
        if last is not None and last.new_hold_id == booking.hold_id:
            return last
        raise NothingToChangeError(f"booking {booking.id} has these units already")
    return None


def _line(pools: Mapping[UUID, Pool], pool_id: UUID, quantity: int) -> HoldLine:
    pool = pools.get(pool_id)
    if pool is None:
        raise NotFoundError("pool", pool_id)
    return HoldLine(pool_id, quantity, pool.unit_price.amount)
