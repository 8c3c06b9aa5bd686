"""The one way money goes back: record the refund, ask the gateway, record the answer."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.payments import PaymentGateway, RefundStatus
from application.ports.payments import Refund as GatewayRefund
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
    answer = await ask_gateway(gateway, refund, booking, fresh=fresh)
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
    """Record the gateway's refund ``answer`` to our ``refund`` (once: a succeeded one stays as it is)."""
    async with uow_factory() as uow:
        current = await uow.bookings.get(booking.tenant_id, booking.id)
        stored = next(r for r in await uow.refunds.for_booking(booking.id) if r.id == refund.id)
        if stored.state is RefundState.SUCCEEDED:
            return stored
        now, state = clock.now(), refund_state(answer.status)
        stored.settle(answer.id, state, now)
        if state is RefundState.SUCCEEDED:
            current.record_refund(stored.amount.amount, now, ACTOR, stored.reason)
            await uow.bookings.save(current)
            await record_refund(uow, current, stored, now)
        await uow.refunds.save(stored)
        await uow.commit()
    return stored
