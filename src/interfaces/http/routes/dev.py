"""Development affordances of the embedded default, mounted only in development with the fake
payment gateway (``Settings.serves_dev_routes``): never in production.

``POST /v1/dev/bookings/{id}/pay`` plays the customer: it confirms the booking's PaymentIntent
the way Stripe.js would in a browser, then delivers the webhook the fake "Stripe" sends through
the very same path as real deliveries (signature check, inbox, handler).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from application.use_cases.get_booking import GetBookingHandler
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler
from application.use_cases.receive_webhook import ReceiveWebhook, ReceiveWebhookHandler
from domain.errors import ConflictError
from domain.permissions import Permission
from domain.tenants import Tenant
from infrastructure.payments.fake import FakePaymentGateway
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.permissions import requires
from interfaces.http.schemas import BookingOut, Input


class PayIn(Input):
    outcome: Annotated[Literal["succeeded", "declined"], Meta(description="what the card does")] = "succeeded"


class DevController(Controller):
    path = "/dev"
    tags = ["development (fake payments only)"]

    @post(
        "/bookings/{booking_id:uuid}/pay",
        opt=requires(Permission.BOOKINGS_CREATE),
        status_code=200,
        dependencies={
            "get_booking": use_case("get_booking"),
            "receive_webhook": use_case("receive_webhook"),
            "process_webhook_event": use_case("process_webhook_event"),
        },
        responses=problems("not_found", "conflict"),
    )
    async def pay(
        self,
        booking_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        state: State,
        get_booking: NamedDependency[GetBookingHandler],
        receive_webhook: NamedDependency[ReceiveWebhookHandler],
        process_webhook_event: NamedDependency[ProcessWebhookEventHandler],
        data: JSONBody[PayIn | None] = None,
    ) -> BookingOut:
        """Pay (or fail to pay) a booking's PaymentIntent as its customer, with the fake gateway."""
        booking = await get_booking(tenant.id, booking_id)
        if booking.payment is None:
            raise ConflictError(f"booking {booking_id} is free: there is nothing to pay")
        gateway: FakePaymentGateway = state.container.gateways.payments()
        for delivery in await gateway.pay(booking.payment.intent_id, (data or PayIn()).outcome):
            receipt = await receive_webhook(ReceiveWebhook(delivery.payload, delivery.signature))
            if receipt.claimed is not None:
                await process_webhook_event(receipt.claimed)
        return BookingOut.of(await get_booking(tenant.id, booking_id))
