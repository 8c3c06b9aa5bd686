"""Bookings: a hold made permanent, and its cancellation."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from application.ports.repositories import BookingFilter
from application.use_cases.cancel_booking import CancelBooking, CancelBookingHandler
from application.use_cases.create_booking import CreateBookingHandler
from application.use_cases.get_booking import GetBookingHandler
from application.use_cases.list_booking_changes import ListBookingChangesHandler
from application.use_cases.list_bookings import ListBookingsHandler
from application.use_cases.list_disputes import ListDisputesHandler
from application.use_cases.list_refunds import ListRefundsHandler
from application.use_cases.refund_booking import RefundBooking, RefundBookingHandler
from domain.bookings import BookingStatus, PaymentStatus
from domain.identity import Actor
from domain.permissions import Permission
from domain.refunds import RefundState
from domain.tenants import Tenant
from domain.users import customer_ref_of
from interfaces.http.dependencies import actor_of, use_case
from interfaces.http.idempotency import IDEMPOTENCY_HEADER
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, CustomerFilter, PageSize, encode_cursor, page_request
from interfaces.http.permissions import requires
from interfaces.http.routes.booking_changes import booking_with_changes
from interfaces.http.schemas import (
    BookingIn,
    BookingOut,
    BookingPage,
    CancelIn,
    DisputeOut,
    RefundIn,
    RefundOut,
    RefundResultOut,
    TransitionOut,
)


class BookingController(Controller):
    path = "/bookings"
    tags = ["bookings"]

    @post(
        "/",
        opt=requires(Permission.BOOKINGS_CREATE),
        dependencies={"create_booking": use_case("create_booking")},
        response_headers=CREATED_HEADERS,
        responses={
            200: ResponseSpec(BookingOut, description="The hold was booked before: that booking, as it is now."),
            **problems(
                "not_found",
                "hold_expired",
                "hold_not_active",
                "already_exists",
                "payment_declined",
                "payment_provider_unavailable",
                "inventory_unavailable",
            ),
        },
    )
    async def create(
        self,
        data: JSONBody[BookingIn],
        actor: NamedDependency[Actor],
        create_booking: NamedDependency[CreateBookingHandler],
    ) -> Response[BookingOut]:
        """Confirm a hold as a booking: 201 the first time, 200 with the same booking after.

        ``contact_email``, if given, is where the customer's emails about the booking go. A
        signed-in customer books only their own holds (another's is not found)."""
        result = await create_booking(data.command(actor))
        if result.created:
            return created(BookingOut.of(result.booking), "bookings", result.booking.id)
        return Response(BookingOut.of(result.booking), status_code=200)

    @get(
        "/",
        opt=requires(Permission.BOOKINGS_READ),
        dependencies={"list_bookings": use_case("list_bookings")},
        responses=problems(),
    )
    async def index(
        self,
        actor: NamedDependency[Actor],
        list_bookings: NamedDependency[ListBookingsHandler],
        status: FromQuery[BookingStatus | None] = None,
        payment_status: FromQuery[PaymentStatus | None] = None,
        listing_id: FromQuery[UUID | None] = None,
        customer_ref: CustomerFilter = None,
        created_from: FromQuery[datetime | None] = None,
        created_to: FromQuery[datetime | None] = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> BookingPage:
        """Bookings, a page at a time; ``status`` filters the lifecycle, ``payment_status`` the money
        (``?status=cancelled&payment_status=partially_refunded``: cancelled late, part refunded).
        A signed-in customer lists only their own."""
        own = customer_ref_of(actor)
        if own is not None and customer_ref not in (None, own):
            return BookingPage([], None)
        where = BookingFilter(status, listing_id, own or customer_ref, created_from, created_to, payment_status)
        page = await list_bookings(actor.tenant.id, where, page_request(limit, cursor))
        return BookingPage([BookingOut.of(item) for item in page.items], encode_cursor(page.next_after))

    @get(
        "/{booking_id:uuid}",
        opt=requires(Permission.BOOKINGS_READ),
        dependencies={"get_booking": use_case("get_booking"), "list_booking_changes": use_case("list_booking_changes")},
        responses=problems("not_found"),
    )
    async def show(
        self,
        booking_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        get_booking: NamedDependency[GetBookingHandler],
        list_booking_changes: NamedDependency[ListBookingChangesHandler],
    ) -> BookingOut:
        """A signed-in customer sees only their own bookings (another's is not found).
        ``changes`` is the booking's change history, oldest first."""
        own = customer_ref_of(actor)
        return await booking_with_changes(actor.tenant.id, booking_id, get_booking, list_booking_changes, own)

    @post(
        "/{booking_id:uuid}/cancel",
        opt=requires(Permission.BOOKINGS_CANCEL),
        status_code=200,
        dependencies={"cancel_booking": use_case("cancel_booking")},
        responses=problems(
            "not_found", "invalid_transition", "conflict", "payment_provider_unavailable", "inventory_unavailable"
        ),
    )
    async def cancel(
        self,
        booking_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cancel_booking: NamedDependency[CancelBookingHandler],
        data: JSONBody[CancelIn | None] = None,
    ) -> BookingOut:
        """Cancel a confirmed booking; its units return to their pools. A signed-in customer
        cancels only their own (another's is not found)."""
        reason = data.reason if data is not None else CancelIn().reason
        tenant = actor.tenant
        command = CancelBooking(tenant.id, booking_id, actor_of(tenant), reason, customer_ref_of(actor))
        booking = await cancel_booking(command)
        return BookingOut.of(booking)

    @post(
        "/{booking_id:uuid}/refunds",
        opt=requires(Permission.BOOKINGS_REFUND),
        dependencies={"refund_booking": use_case("refund_booking")},
        responses={
            200: ResponseSpec(RefundResultOut, description="The refund this Idempotency-Key made before."),
            202: ResponseSpec(
                RefundResultOut,
                description="Recorded as `requested` but the payment provider did not answer: it will be "
                "paid, by the `retry_refunds` job under the same idempotency key. Do not ask again.",
            ),
            **problems(
                "not_found", "refund_exceeds_captured", "nothing_to_refund", "payment_provider_unavailable", "conflict"
            ),
        },
    )
    async def refund(
        self,
        request: Request[Any, Any, Any],
        booking_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        refund_booking: NamedDependency[RefundBookingHandler],
        data: JSONBody[RefundIn | None] = None,
    ) -> Response[RefundResultOut]:
        """Refund a paid booking in full (no amount) or in part; never more than is left.

        201: the provider made the refund (`succeeded`, or `pending` until its money is back).
        202: recorded, reserved and still to be paid (`requested`): the provider did not answer,
        and Holdfast asks again until it does; the refund is never dropped. An Idempotency-Key
        names one refund for ever: asked again with the same key, even after the stored answer
        expired, the answer is that refund (200), never a second one."""
        body = data or RefundIn()
        key = request.headers.get(IDEMPOTENCY_HEADER)
        command = RefundBooking(tenant.id, booking_id, body.amount, body.reason, actor_of(tenant), key)
        result = await refund_booking(command)
        out = RefundResultOut(BookingOut.of(result.booking), RefundOut.of(result.refund))
        if result.refund.state is RefundState.REQUESTED:
            return Response(out, status_code=202)
        return Response(out, status_code=201 if result.created else 200)

    @get(
        "/{booking_id:uuid}/refunds",
        opt=requires(Permission.BOOKINGS_READ),
        dependencies={"list_refunds": use_case("list_refunds"), "get_booking": use_case("get_booking")},
        responses=problems("not_found"),
    )
    async def refunds(
        self,
        booking_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        list_refunds: NamedDependency[ListRefundsHandler],
        get_booking: NamedDependency[GetBookingHandler],
    ) -> list[RefundOut]:
        """The booking's refunds, oldest first: `requested` (recorded, the provider still to
        answer), `pending` (accepted, money on its way), `succeeded` or `failed` (refused, no
        money moved)."""
        await _own_booking(actor, booking_id, get_booking)
        return [RefundOut.of(r) for r in await list_refunds(actor.tenant.id, booking_id)]

    @get(
        "/{booking_id:uuid}/history",
        opt=requires(Permission.BOOKINGS_READ),
        dependencies={"get_booking": use_case("get_booking")},
        responses=problems("not_found"),
    )
    async def history(
        self,
        booking_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        get_booking: NamedDependency[GetBookingHandler],
    ) -> list[TransitionOut]:
        """Every transition of the booking: from, to, when, who and why."""
        booking = await get_booking(actor.tenant.id, booking_id, customer_ref_of(actor))
        return [TransitionOut.of(t) for t in booking.history]

    @get(
        "/{booking_id:uuid}/disputes",
        opt=requires(Permission.BOOKINGS_READ),
        dependencies={"list_disputes": use_case("list_disputes"), "get_booking": use_case("get_booking")},
        responses=problems("not_found"),
    )
    async def disputes(
        self,
        booking_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        list_disputes: NamedDependency[ListDisputesHandler],
        get_booking: NamedDependency[GetBookingHandler],
    ) -> list[DisputeOut]:
        """Disputes (chargebacks) the payment provider reported for the booking's payment."""
        await _own_booking(actor, booking_id, get_booking)
        return [DisputeOut.of(d) for d in await list_disputes(actor.tenant.id, booking_id)]


async def _own_booking(actor: Actor, booking_id: UUID, get_booking: GetBookingHandler) -> None:
    """A signed-in customer reads only their own booking's records: another's is not found
    (one read more, for customers only)."""
    own = customer_ref_of(actor)
    if own is not None:
        await get_booking(actor.tenant.id, booking_id, own)
