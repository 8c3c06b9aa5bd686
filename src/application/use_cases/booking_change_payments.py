"""Payment events of a change's difference, ahead of the booking payment handler."""

from __future__ import annotations

from application.ports.payments import GatewayEvent, IntentStatus, PaymentGateway
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.booking_change_steps import BookingChangeSteps
from application.use_cases.handle_payment_event import INTENT_EVENTS, HandlePaymentEventHandler


class ChangeAwarePaymentEvents:
    """The webhook handler: a PaymentIntent event of a booking change's difference is the
    change's (re-read from the gateway, like every hint): captured, the change is swapped
    (or, its hold gone, the money returned and the change undone); cancelled, it is undone;
    a failed attempt changes nothing (the customer may pay until the hold expires). Every
    other event goes to the booking payment handler, as before."""

    def __init__(
        self,
        payments: HandlePaymentEventHandler,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        steps: BookingChangeSteps,
    ) -> None:
        self._payments, self._uow, self._gateway, self._steps = payments, uow, gateway, steps

    def accepts(self, event_type: str) -> bool:
        return self._payments.accepts(event_type)

    async def handle(self, event: GatewayEvent) -> None:
        if event.type in INTENT_EVENTS and await self.sync_intent(str(event.object["id"])):
            return
        await self._payments.handle(event)

    async def sync_intent(self, intent_id: str) -> bool:
        """Settle the change this intent pays for; False when it pays for no change."""
        async with self._uow() as uow:
            change = await uow.booking_changes.by_intent(intent_id)
        if change is None:
            return False
        intent = await self._gateway.retrieve_intent(intent_id)
        if intent.status is IntentStatus.SUCCEEDED:
            await self._steps.settle_paid(change, intent)
        elif intent.status is IntentStatus.CANCELED:
            await self._steps.undo(change.tenant_id, change.id, "the payment for the difference was cancelled")
        return True
