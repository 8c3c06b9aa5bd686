"""An operator's full or partial refund of a paid booking."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from application.errors import IdempotencyMismatchError
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.payments import PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.refunds import execute_refund
from domain.bookings import Booking
from domain.errors import ConflictError, DomainError
from domain.money import Money
from domain.refunds import Refund, RefundState, outstanding


@dataclass(frozen=True, slots=True)
class RefundBooking:
    tenant_id: UUID
    booking_id: UUID
    amount: int | None  # None: everything still refundable
    reason: str
    actor: str
    request_key: str | None = None  # the client's Idempotency-Key: one key, one refund, for ever


@dataclass(frozen=True, slots=True)
class RefundedBooking:
    booking: Booking
    refund: Refund
    created: bool  # False: the request key named a refund made before


class RefundBookingHandler:
    """Rules:

    * a refund never exceeds what was captured, less what was refunded and what refunds asked
      for but not settled have reserved (``RefundExceedsCapturedError``; ``NothingToRefundError``
      when nothing is left). The check and the refund's record are one step under the
      booking's row lock, before the gateway is asked: concurrent requests can never together
      ask the gateway for more than was captured;
    * a request key (the client's ``Idempotency-Key``) names one refund for ever: asked again,
      even after the key's stored response was purged, it resolves to that refund (asking the
      gateway again, under the refund's own key, only if it is still ``requested``);
    * when the provider cannot be reached (or answers with an error other than a refusal) the
      refund stays ``requested`` and the answer says so: the ``retry_refunds`` job asks again
      under the same key until it is settled (or dead-letters it for a person). It is never
      dropped, so a client must not ask again with a new key; a refusal marks it ``failed``;
    * refunding does not cancel the booking or return units.
    """

    def __init__(self, uow: UnitOfWorkFactory, gateway: PaymentGateway, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._gateway, self._clock, self._ids = uow, gateway, clock, ids

    async def __call__(self, command: RefundBooking) -> RefundedBooking:
        refund, created = await self._reserve(command)
        if refund.state is RefundState.REQUESTED:
            async with self._uow() as uow:
                booking = await uow.bookings.get(command.tenant_id, command.booking_id)
            try:
                refund = await execute_refund(self._uow, self._gateway, self._clock, refund, booking, fresh=created)
            except ConflictError:
                raise  # the provider refused it: recorded failed, no money moved, and the answer says so
            except DomainError:
                pass  # unreachable, or an error: recorded and reserved, the retry job finishes it (202)
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id)
        return RefundedBooking(booking, refund, created)

    async def _reserve(self, command: RefundBooking) -> tuple[Refund, bool]:
        """The refund this request names, recorded ``requested`` if it is new (False: found)."""
        async with self._uow() as uow:
            booking = await uow.bookings.get(command.tenant_id, command.booking_id, lock=True)
            refunds = await uow.refunds.for_booking(booking.id)
            refund_id = self._refund_id(booking, command.request_key)
            if (known := next((r for r in refunds if r.id == refund_id), None)) is not None:
                if command.amount is not None and command.amount != known.amount.amount:
                    raise IdempotencyMismatchError(f"this key asked for a refund of {known.amount.amount}")
                return known, False
            reserved = outstanding(refunds)
            amount = booking.refundable - reserved if command.amount is None else command.amount
            booking.check_refund(amount, reserved)
            now = self._clock.now()
            money = Money(amount, booking.total.currency)
            refund = Refund(refund_id, booking.tenant_id, booking.id, money, command.reason, now, now)
            await uow.refunds.add(refund)
            after = {"refund_id": refund.id, "amount": amount, "currency": money.currency, "reason": command.reason}
            await uow.audit.record("booking.refund", "booking", booking.id, after=after)
            await uow.commit()
        return refund, True

    def _refund_id(self, booking: Booking, request_key: str | None) -> UUID:
        return self._ids.new_id() if request_key is None else uuid5(booking.id, f"refund-request:{request_key}")
