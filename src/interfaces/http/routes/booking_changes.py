"""Changing a booking: other seats, other dates, another flight, as one atomic swap."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from application.use_cases.change_booking import ChangeBooking, ChangeBookingHandler
from application.use_cases.get_booking import GetBookingHandler
from application.use_cases.list_booking_changes import ListBookingChangesHandler
from application.use_cases.process_webhook_event import ProcessWebhookEventHandler
from application.use_cases.receive_webhook import ReceiveWebhook, ReceiveWebhookHandler
from domain.errors import ConflictError, NotFoundError
from domain.identity import Actor
from domain.inventory import MAX_LINES
from domain.permissions import Permission
from domain.tenants import Tenant
from domain.users import customer_ref_of
from infrastructure.payments.fake import FakePaymentGateway
from interfaces.http.dependencies import actor_of, use_case
from interfaces.http.openapi import problems
from interfaces.http.permissions import requires
from interfaces.http.schemas import BookingChangeOut, BookingOut, HoldLineIn, Input

CHANGE_PROBLEMS = (
    "not_found",
    "booking_not_changeable",
    "change_in_progress",
    "nothing_to_change",
    "insufficient_inventory",
    "customer_limit_exceeded",
    "refund_exceeds_captured",
    "nothing_to_refund",
    "conflict",
    "payment_provider_unavailable",
    "inventory_unavailable",
)


class ChangeIn(Input):
    lines: Annotated[list[HoldLineIn], Meta(min_length=1, max_length=MAX_LINES)]
    listing_id: UUID | None = None  # another listing of the tenant (a change of flight); absent: the same


class ChangeResultOut(msgspec.Struct):
    change: BookingChangeOut
    booking: BookingOut


class BookingChangeController(Controller):
    path = "/bookings"
    tags = ["bookings"]

    @post(
        "/{booking_id:uuid}/changes",
        opt=requires(Permission.BOOKINGS_CHANGE),
        dependencies={"change_booking": use_case("change_booking")},
        responses={
            200: ResponseSpec(ChangeResultOut, description="This change was asked for before: it, as it is now."),
            **problems(*CHANGE_PROBLEMS),
        },
    )
    async def change(
        self,
        booking_id: FromPath[UUID],
        data: JSONBody[ChangeIn],
        actor: NamedDependency[Actor],
        change_booking: NamedDependency[ChangeBookingHandler],
    ) -> Response[ChangeResultOut]:
        """Change a confirmed booking's units (seats, dates) or move it to another listing of
        the tenant (a flight), as one atomic swap: the new units are held first, and the old
        ones are given back only when the new ones are sold. The change's `state` says where
        it stands: `swapped` (done; a lower total's difference is refunded, `refund_id`) or
        `awaiting_payment` (a higher total: pay `difference` with `client_secret` before
        `pay_before`; unpaid, the change fails and the booking stays as it was). Sold out:
        409 `insufficient_inventory`, and the booking is untouched."""
        lines = tuple((line.pool_id, line.quantity) for line in data.lines)
        tenant = actor.tenant
        command = ChangeBooking(tenant.id, booking_id, lines, actor_of(tenant), data.listing_id, customer_ref_of(actor))
        result = await change_booking(command)
        out = ChangeResultOut(BookingChangeOut.of(result.change), BookingOut.of(result.booking))
        return Response(out, status_code=201 if result.created else 200)


class DevBookingChangeController(Controller):
    path = "/dev"
    tags = ["development (fake payments only)"]

    @post(
        "/bookings/{booking_id:uuid}/changes/{change_id:uuid}/pay",
        opt=requires(Permission.BOOKINGS_CHANGE),
        status_code=200,
        dependencies={
            "get_booking": use_case("get_booking"),
            "list_booking_changes": use_case("list_booking_changes"),
            "receive_webhook": use_case("receive_webhook"),
            "process_webhook_event": use_case("process_webhook_event"),
        },
        responses=problems("not_found", "conflict"),
    )
    async def pay_difference(
        self,
        booking_id: FromPath[UUID],
        change_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        state: State,
        get_booking: NamedDependency[GetBookingHandler],
        list_booking_changes: NamedDependency[ListBookingChangesHandler],
        receive_webhook: NamedDependency[ReceiveWebhookHandler],
        process_webhook_event: NamedDependency[ProcessWebhookEventHandler],
    ) -> BookingOut:
        """Pay a change's difference as its customer, with the fake gateway, and deliver the
        webhook through the real path (like `POST /v1/dev/bookings/{id}/pay`)."""
        await get_booking(tenant.id, booking_id)
        change = next((c for c in await list_booking_changes(booking_id) if c.id == change_id), None)
        if change is None:
            raise NotFoundError("booking change", change_id)
        if change.intent_id is None:
            raise ConflictError(f"change {change_id} has no difference to pay")
        gateway: FakePaymentGateway = state.container.gateways.payments()
        for delivery in await gateway.pay(change.intent_id, "succeeded"):
            receipt = await receive_webhook(ReceiveWebhook(delivery.payload, delivery.signature))
            if receipt.claimed is not None:
                await process_webhook_event(receipt.claimed)
        return await booking_with_changes(tenant.id, booking_id, get_booking, list_booking_changes)


async def booking_with_changes(
    tenant_id: UUID,
    booking_id: UUID,
    get_booking: GetBookingHandler,
    list_booking_changes: ListBookingChangesHandler,
    customer_ref: str | None = None,
) -> BookingOut:
    """The booking as ``GET /v1/bookings/{id}`` shows it: with its change history, once it has
    one (a booking never changed reads exactly as every other route answers it)."""
    booking = await get_booking(tenant_id, booking_id, customer_ref)
    changes = [BookingChangeOut.of(c) for c in await list_booking_changes(booking.id)]
    return msgspec.structs.replace(BookingOut.of(booking), changes=changes or None)
