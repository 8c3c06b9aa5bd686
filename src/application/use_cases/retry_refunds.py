"""Finish refunds whose gateway call never got an answer (the provider was down, a worker died)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from application.ports.clock import Clock
from application.ports.jobs import DeadLetterStore
from application.ports.payments import PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.item_dead_letters import ItemDeadLetters
from application.use_cases.refunds import ask_gateway, record_answer, refuse
from domain.errors import ConflictError
from domain.refunds import Refund

# Longer than a gateway call with its retries, so the first caller has given up (asking again
# sooner would still pay once: same idempotency key, recorded under the booking's lock).
GRACE = timedelta(minutes=5)
BATCH = 50
JOB = "retry_refunds"


class RetryRequestedRefundsHandler:
    """Rules:

    * a refund is recorded ``requested`` before its gateway call; one still ``requested`` after
      ``older_than`` lost its answer and is asked for again, with the same idempotency key
      (``refund:<id>``), so the gateway answers with the refund it made instead of a second one;
    * the intent's refunds at the gateway are searched first for one made for it (by its
      ``refund_id`` metadata): Stripe forgets idempotency keys after 24 hours, never metadata;
    * the answer is recorded as the original path records it: a succeeded refund is counted on
      the booking and posted to the ledger once, a pending one when its webhook says so;
    * a refusal (nothing left to refund, a payment not refundable) marks it ``failed``: no money
      moved, and it stops blocking the operator from refunding what is still owed;
    * each refund is claimed by a conditional update before the call, so of several workers only
      one asks, and a refund that fails again waits another ``older_than``;
    * the provider being down ends the run (``PaymentProviderUnavailableError``): retry later;
    * a refund that can never be asked for or recorded (the provider does not know its payment,
      the booking cannot take it) is a dead letter of ``retry_refunds`` for a person to look at,
      and stays ``requested``; the run goes on with the others.

    Returns how many refunds it settled (succeeded, pending or failed).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        clock: Clock,
        dead_letters: DeadLetterStore,
        grace: timedelta = GRACE,
    ) -> None:
        self._uow, self._gateway, self._clock, self._grace = uow, gateway, clock, grace
        self._stuck = ItemDeadLetters(dead_letters, clock, JOB)

    async def __call__(self, older_than: timedelta | None = None, limit: int = BATCH) -> int:
        cutoff = self._clock.now() - (self._grace if older_than is None else older_than)
        async with self._uow() as uow:
            stuck = await uow.refunds.requested_before(cutoff, limit)
        settled = 0
        for refund in stuck:
            if not await self._claim(refund, cutoff):
                continue
            args = {"refund_id": str(refund.id), "booking_id": str(refund.booking_id)}
            if await self._stuck.run(f"refund {refund.id}", args, partial(self._retry, refund)):
                settled += 1
        return settled

    async def _claim(self, refund: Refund, cutoff: datetime) -> bool:
        async with self._uow() as uow:
            claimed = await uow.refunds.claim(refund.id, cutoff, self._clock.now())
            await uow.commit()
        return claimed

    async def _retry(self, refund: Refund) -> bool:
        async with self._uow() as uow:
            booking = await uow.bookings.get(refund.tenant_id, refund.booking_id)
        try:
            answer = await ask_gateway(self._gateway, refund, booking)  # looks for it at the gateway first
        except ConflictError:  # the gateway's refusal: nothing was refunded
            return await refuse(self._uow, self._clock, refund)
        await record_answer(self._uow, self._clock, refund, booking, answer)
        return True
