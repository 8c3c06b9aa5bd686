"""The one way money goes back: record the refund, ask the gateway, record the answer."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.payments import PaymentGateway, RefundStatus
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.payment_records import record_refund
from domain.bookings import Booking
from domain.refunds import Refund, RefundState

ACTOR = "refunds"

_STATES = {
    RefundStatus.SUCCEEDED: RefundState.SUCCEEDED,
    RefundStatus.PENDING: RefundState.PENDING,
    RefundStatus.REQUIRES_ACTION: RefundState.PENDING,
    RefundStatus.FAILED: RefundState.FAILED,
    RefundStatus.CANCELED: RefundState.FAILED,
}


async def execute_refund(
    uow_factory: UnitOfWorkFactory, gateway: PaymentGateway, clock: Clock, refund: Refund, booking: Booking
) -> Refund:
    """Ask the gateway for a refund recorded as ``requested`` and record its answer.

    The idempotency key is the refund's own id, so a crash anywhere here is repaired by
    calling this again: the gateway answers with the same refund instead of paying twice. A
    refund that succeeded is counted on the booking once, in the same unit of work that marks
    it succeeded; a pending one is counted when the gateway's refund event says it succeeded.
    """
    assert booking.payment is not None
    answer = await gateway.refund(
        booking.payment.intent_id,
        amount=refund.amount.amount,
        metadata={"refund_id": str(refund.id), "booking_id": str(booking.id)},
        idempotency_key=refund.idempotency_key,
    )
    async with uow_factory() as uow:
        current = await uow.bookings.get(booking.tenant_id, booking.id)
        stored = next(r for r in await uow.refunds.for_booking(booking.id) if r.id == refund.id)
        if stored.state is RefundState.SUCCEEDED:
            return stored
        now, state = clock.now(), _STATES[answer.status]
        stored.settle(answer.id, state, now)
        if state is RefundState.SUCCEEDED:
            current.record_refund(stored.amount.amount, now, ACTOR, stored.reason)
            await uow.bookings.save(current)
            await record_refund(uow, current, stored, now)
        await uow.refunds.save(stored)
        await uow.commit()
    return stored
