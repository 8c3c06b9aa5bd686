"""The one way money goes back: record the refund, ask the gateway, record the answer."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.payments import PaymentGateway, RefundStatus
from application.ports.payments import Refund as GatewayRefund
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.payment_records import record_refund
from domain.bookings import Booking
from domain.errors import ConflictError
from domain.refunds import Refund, RefundState

RECORD_ATTEMPTS = 5  # a writer that does not lock the booking can still move its version meanwhile

_STATES = {
    RefundStatus.SUCCEEDED: RefundState.SUCCEEDED,
    RefundStatus.PENDING: RefundState.PENDING,
    RefundStatus.REQUIRES_ACTION: RefundState.PENDING,
    RefundStatus.FAILED: RefundState.FAILED,
    RefundStatus.CANCELED: RefundState.FAILED,
}


async def execute_refund(
    uow_factory: UnitOfWorkFactory,
    gateway: PaymentGateway,
    clock: Clock,
    refund: Refund,
    booking: Booking,
    *,
    fresh: bool = False,
) -> Refund:
    """Ask the gateway for a refund recorded as ``requested`` and record its answer.

    The idempotency key is the refund's own id, so a crash anywhere here is repaired by
    calling this again: the gateway answers with the same refund instead of paying twice. A
    refund that succeeded is counted on the booking once, in the same unit of work that marks
    it succeeded; a pending one is counted when the gateway's refund event says it succeeded.
    """
    try:
        answer = await ask_gateway(gateway, refund, booking, fresh=fresh)
    except ConflictError:  # the gateway refused it: no money moved, and none is reserved any more
        await refuse(uow_factory, clock, refund)
        raise
    return await record_answer(uow_factory, clock, refund, booking, answer)


async def ask_gateway(
    gateway: PaymentGateway, refund: Refund, booking: Booking, *, fresh: bool = False
) -> GatewayRefund:
    """The gateway call alone, under the refund's own idempotency key and with its id in the
    metadata (``refund_id``), by which the gateway's refund can be found again.

    It looks for that refund at the gateway first: Stripe forgets idempotency keys after 24
    hours, so a refund asked again later (a webhook retried for a day, an operator's replay, the
    retry job) would otherwise be paid twice. ``fresh``: the refund was recorded in this very
    request, so the gateway cannot know it yet and the lookup is skipped."""
    assert booking.payment is not None
    if not fresh and (made := await made_already(gateway, refund, booking)) is not None:
        return made
    return await gateway.refund(
        booking.payment.intent_id,
        amount=refund.amount.amount,
        metadata={"refund_id": str(refund.id), "booking_id": str(booking.id)},
        idempotency_key=refund.idempotency_key,
    )


async def made_already(gateway: PaymentGateway, refund: Refund, booking: Booking) -> GatewayRefund | None:
    """The gateway's refund carrying our ``refund_id``, if the gateway made it already."""
    assert booking.payment is not None
    for found in await gateway.list_refunds(booking.payment.intent_id):
        if found.metadata.get("refund_id") == str(refund.id):
            return found
    return None


def refund_state(status: RefundStatus) -> RefundState:
    """What a refund's status at the gateway means for our record of it."""
    return _STATES[status]


async def record_answer(
    uow_factory: UnitOfWorkFactory, clock: Clock, refund: Refund, booking: Booking, answer: GatewayRefund
) -> Refund:
    """Record the gateway's refund ``answer`` to our ``refund`` (once: a succeeded one stays as it is).

    The money has moved by now, so a clash with a concurrent writer of the booking is never the
    caller's to retry: the booking is read locked, and a stale version is read again."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            return await _record_answer(uow_factory, clock, refund, booking, answer)
        except ConflictError as clash:  # a stale version is the plain ConflictError; its kin are rules
            if type(clash) is not ConflictError or attempt == RECORD_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _record_answer(
    uow_factory: UnitOfWorkFactory, clock: Clock, refund: Refund, booking: Booking, answer: GatewayRefund
) -> Refund:
    async with uow_factory() as uow:
        current = await uow.bookings.get(booking.tenant_id, booking.id, lock=True)
        stored = await _stored(uow, refund)
        if stored.state is RefundState.SUCCEEDED:
            return stored
        now, state = clock.now(), refund_state(answer.status)
        stored.settle(answer.id, state, now)
        if state is RefundState.SUCCEEDED:
            current.record_refund(stored.amount.amount, now)
            await uow.bookings.save(current)
            await record_refund(uow, current, stored, now)
        await uow.refunds.save(stored)
        after = {"state": stored.state, "amount": stored.amount.amount, "gateway_refund_id": answer.id}
        await uow.audit.record("refund.settle", "refund", stored.id, after=after, tenant_id=stored.tenant_id)
        await uow.commit()
    return stored


async def refuse(uow_factory: UnitOfWorkFactory, clock: Clock, refund: Refund) -> bool:
    """The gateway refused the refund (nothing left to refund there, a payment not refundable):
    it is marked ``failed`` unless it was settled meanwhile; True when this call marked it."""
    async with uow_factory() as uow:
        await uow.bookings.get(refund.tenant_id, refund.booking_id, lock=True)
        stored = await _stored(uow, refund)
        if stored.state is not RefundState.REQUESTED:
            return False
        stored.refuse(clock.now())
        await uow.refunds.save(stored)
        after = {"state": stored.state}
        await uow.audit.record("refund.refuse", "refund", stored.id, after=after, tenant_id=stored.tenant_id)
        await uow.commit()
    return True


async def _stored(uow: UnitOfWork, refund: Refund) -> Refund:
    return next(r for r in await uow.refunds.for_booking(refund.booking_id) if r.id == refund.id)
