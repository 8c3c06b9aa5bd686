"""Mapping between rows of the system of record and domain objects."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.bookings import Booking, BookingStatus, Payment, Transition
from domain.contacts import EmailAddress
from domain.inventory import HoldLine
from domain.listing_details import details_of, details_to_json, search_text, sort_name
from domain.listings import CancellationPolicy, Listing, ListingKind, Pool
from domain.money import Money
from domain.waiting_room import QueueSettings


def listing_to_row(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.id,
        "tenant_id": listing.tenant_id,
        "kind": listing.kind.value,
        "name": listing.name,
        "starts_at": listing.starts_at,
        "per_customer_limit": listing.per_customer_limit,
        "hold_ttl_seconds": listing.hold_ttl_seconds,
        "full_refund_hours": listing.policy.full_refund_hours,
        "late_refund_percent": listing.policy.late_refund_percent,
        "created_at": listing.created_at,
        "version": listing.version,
        **queue_to_row(listing.queue),
        **catalogue_to_row(listing),
    }


def catalogue_to_row(listing: Listing) -> dict[str, Any]:
    """The catalogue's columns of a listing: its details, archive, and what search reads."""
    return {
        "details": None if listing.details is None else details_to_json(listing.details),
        "archived_at": listing.archived_at,
        "search_text": search_text(listing.name, listing.details),
        "sort_name": sort_name(listing.name),
    }


def queue_to_row(queue: QueueSettings) -> dict[str, Any]:
    return {
        "queue_enabled": queue.enabled,
        "queue_batch_size": queue.batch_size,
        "queue_period_seconds": queue.period_seconds,
        "queue_pass_ttl_seconds": queue.pass_ttl_seconds,
        "queue_holds_per_pass": queue.holds_per_pass,
    }


def listing_from_row(row: Any) -> Listing:
    return Listing(
        id=row.id,
        tenant_id=row.tenant_id,
        kind=ListingKind(row.kind),
        name=row.name,
        created_at=row.created_at,
        starts_at=row.starts_at,
        per_customer_limit=row.per_customer_limit,
        hold_ttl_seconds=row.hold_ttl_seconds,
        policy=CancellationPolicy(row.full_refund_hours, row.late_refund_percent),
        version=row.version,
        queue=QueueSettings(
            bool(row.queue_enabled),
            row.queue_batch_size,
            row.queue_period_seconds,
            row.queue_pass_ttl_seconds,
            row.queue_holds_per_pass,
        ),
        details=None if row.details is None else details_of(row.kind, row.details),
        archived_at=row.archived_at,
    )


def pool_to_row(pool: Pool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "tenant_id": pool.tenant_id,
        "listing_id": pool.listing_id,
        "code": pool.code,
        "name": pool.name,
        "capacity": pool.capacity,
        "unit_price": pool.unit_price.amount,
        "currency": pool.unit_price.currency,
        "created_at": pool.created_at,
        "version": pool.version,
        "night": pool.night,
        "overbooking": pool.overbooking,
        "room_type_id": pool.room_type_id,
        "archived_at": pool.archived_at,
    }


def pool_from_row(row: Any) -> Pool:
    return Pool(
        id=row.id,
        tenant_id=row.tenant_id,
        listing_id=row.listing_id,
        code=row.code,
        name=row.name,
        capacity=row.capacity,
        unit_price=Money(row.unit_price, row.currency),
        created_at=row.created_at,
        version=row.version,
        night=row.night,
        overbooking=row.overbooking,
        room_type_id=row.room_type_id,
        archived_at=row.archived_at,
    )


def booking_to_row(booking: Booking) -> dict[str, Any]:
    lines = [
        {"pool_id": str(line.pool_id), "quantity": line.quantity, "unit_price": line.unit_price}
        for line in booking.lines
    ]
    return {
        "id": booking.id,
        "tenant_id": booking.tenant_id,
        "hold_id": booking.hold_id,
        "listing_id": booking.listing_id,
        "customer_ref": booking.customer_ref,
        "lines": lines,
        "total_amount": booking.total.amount,
        "currency": booking.total.currency,
        "status": booking.status.value,
        "payment_status": booking.payment_status.value,
        "contact_email": None if booking.contact_email is None else booking.contact_email.value,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
        "version": booking.version,
        **payment_to_row(booking.payment),
    }


def payment_to_row(payment: Payment | None) -> dict[str, Any]:
    """The booking columns that mirror its payment (all empty for a free booking)."""
    if payment is None:
        return {"payment_intent_id": None, "client_secret": None, "payment_due_at": None, "payment_error": None}
    return {
        "payment_intent_id": payment.intent_id,
        "client_secret": payment.client_secret,
        "payment_due_at": payment.due_at,
        "amount_captured": payment.captured,
        "amount_refunded": payment.refunded,
        "payment_error": payment.last_error,
    }


def payment_from_row(row: Any, refunding: int = 0) -> Payment | None:
    if row.payment_intent_id is None:
        return None
    return Payment(
        intent_id=row.payment_intent_id,
        client_secret=row.client_secret,
        due_at=row.payment_due_at,
        captured=row.amount_captured,
        refunded=row.amount_refunded,
        last_error=row.payment_error,
        refunding=refunding,
    )


def booking_from_row(row: Any, history: list[Transition], refunding: int = 0) -> Booking:
    lines = tuple(HoldLine(UUID(line["pool_id"]), line["quantity"], line["unit_price"]) for line in row.lines)
    return Booking(
        id=row.id,
        tenant_id=row.tenant_id,
        hold_id=row.hold_id,
        listing_id=row.listing_id,
        customer_ref=row.customer_ref,
        lines=lines,
        total=Money(row.total_amount, row.currency),
        status=BookingStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        payment=payment_from_row(row, refunding),
        contact_email=None if row.contact_email is None else EmailAddress.recorded(row.contact_email),
        version=row.version,
        history=history,
    )


def transition_to_row(booking_id: UUID, seq: int, transition: Transition) -> dict[str, Any]:
    return {
        "booking_id": booking_id,
        "seq": seq,
        "from_status": transition.from_status.value if transition.from_status else None,
        "to_status": transition.to_status.value,
        "at": transition.at,
        "actor": transition.actor,
        "reason": transition.reason,
    }


def transition_from_row(row: Any) -> Transition:
    return Transition(
        from_status=BookingStatus(row.from_status) if row.from_status else None,
        to_status=BookingStatus(row.to_status),
        at=row.at,
        actor=row.actor,
        reason=row.reason,
    )
