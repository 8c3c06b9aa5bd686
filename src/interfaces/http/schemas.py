"""HTTP bodies: msgspec Structs at the edge. Inputs forbid unknown fields and never carry
server-owned values (status, prices, tenant); every text field is a ``Line`` or a ``Text``
(see ``interfaces.http.text``), so no control character gets past the edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from application.use_cases.create_booking import CreateBooking
from application.use_cases.get_queue_ticket import QueueStatus
from application.use_cases.place_hold import PlaceHold
from domain.booking_changes import BookingChange
from domain.bookings import Booking, BookingStatus, PaymentStatus, Transition
from domain.contacts import EMAIL_PATTERN, MAX_EMAIL_LENGTH, EmailAddress
from domain.disputes import Dispute
from domain.errors import InvalidValueError
from domain.identity import Actor
from domain.inventory import MAX_LINES, MAX_QUANTITY, Hold, HoldLine, PoolCounters
from domain.listings import MAX_CAPACITY, MAX_HOLD_TTL_SECONDS, CancellationPolicy, Listing, ListingKind, Pool
from domain.money import MAX_MINOR_UNITS, Money
from domain.refunds import Refund
from domain.users import CustomerMismatchError, customer_ref_of
from domain.waiting_room import (
    MAX_BATCH,
    MAX_HOLDS_PER_PASS,
    MAX_PASS_SECONDS,
    MAX_PERIOD_SECONDS,
    QueueSettings,
    TicketState,
)
from interfaces.http.catalogue_schemas import DetailsIn, DetailsOut
from interfaces.http.dependencies import actor_of
from interfaces.http.text import END, Line, Text

Name = Annotated[Line, Meta(min_length=1, max_length=200)]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=rf"^[A-Za-z0-9][A-Za-z0-9._:-]*{END}")]
Capacity = Annotated[int, Meta(ge=0, le=MAX_CAPACITY)]
Quantity = Annotated[int, Meta(ge=1, le=MAX_QUANTITY)]
Amount = Annotated[int, Meta(ge=0, le=MAX_MINOR_UNITS)]
Currency = Annotated[str, Meta(pattern=rf"^[A-Z]{{3}}{END}")]
Limit = Annotated[int, Meta(ge=1, le=MAX_CAPACITY)]
TtlSeconds = Annotated[int, Meta(ge=1, le=MAX_HOLD_TTL_SECONDS)]
CustomerRef = Annotated[Line, Meta(min_length=1, max_length=200)]
Reason = Annotated[Text, Meta(min_length=1, max_length=500)]
Email = Annotated[str, Meta(min_length=3, max_length=MAX_EMAIL_LENGTH, pattern=EMAIL_PATTERN)]


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: an unknown field is a 400, never silently dropped."""


class PolicyIn(Input):
    full_refund_hours: Annotated[int, Meta(ge=0, le=24 * 365)] = 48
    late_refund_percent: Annotated[int, Meta(ge=0, le=100)] = 50


class ListingIn(Input):
    kind: ListingKind
    name: Name
    starts_at: datetime | None = None
    per_customer_limit: Limit | None = None
    hold_ttl_seconds: TtlSeconds = 600
    cancellation_policy: PolicyIn | None = None
    # The kind's details (``DetailsIn``); a listing given no ``starts_at`` starts at its first
    # performance or its departure.
    details: DetailsIn | None = None


class QueueIn(Input):
    """A listing's waiting room settings; a field left out keeps its current value."""

    enabled: bool | None = None
    batch_size: Annotated[int, Meta(ge=1, le=MAX_BATCH)] | None = None
    period_seconds: Annotated[int, Meta(ge=1, le=MAX_PERIOD_SECONDS)] | None = None
    pass_ttl_seconds: Annotated[int, Meta(ge=1, le=MAX_PASS_SECONDS)] | None = None
    holds_per_pass: Annotated[int, Meta(ge=1, le=MAX_HOLDS_PER_PASS)] | None = None

    def changes(self) -> dict[str, object]:
        return {name: value for name, value in msgspec.structs.asdict(self).items() if value is not None}


class ListingPatchIn(Input):
    """What ``PATCH /v1/listings/{id}`` changes; a field left out keeps its value. ``starts_at``
    and ``per_customer_limit`` may be set to null (no start, no limit); ``details`` replace the
    listing's details whole (the fields of its kind, see ``DetailsIn``)."""

    name: Name | None = None
    starts_at: datetime | msgspec.UnsetType | None = msgspec.UNSET
    per_customer_limit: Limit | msgspec.UnsetType | None = msgspec.UNSET
    hold_ttl_seconds: TtlSeconds | None = None
    cancellation_policy: PolicyIn | None = None
    details: DetailsIn | None = None
    queue: QueueIn | None = None

    def changes(self) -> dict[str, object]:
        """The listing fields given (``queue`` apart), as ``ChangeListing`` takes them."""
        found: dict[str, object] = {}
        for name in ("name", "hold_ttl_seconds"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        for name in ("starts_at", "per_customer_limit"):
            if getattr(self, name) is not msgspec.UNSET:
                found[name] = getattr(self, name)
        if self.cancellation_policy is not None:
            found["policy"] = CancellationPolicy(**msgspec.structs.asdict(self.cancellation_policy))
        if self.details is not None:
            found["details"] = self.details.fields()
        if not found and self.queue is None:
            raise InvalidValueError("body", "names no field to change")
        return found


class PoolIn(Input):
    code: Code
    capacity: Capacity
    unit_price: Amount
    currency: Currency
    name: Annotated[Line, Meta(max_length=200)] = ""
    night: date | None = None  # for a stay's night pool: the night it sells
    overbooking: Capacity = 0  # units sellable beyond capacity (0: off; at most half the capacity)


class PoolPatchIn(Input):
    """What ``PATCH /v1/pools/{id}`` changes; a field left out keeps its value. A new
    ``unit_price`` (in the pool's currency) applies to holds placed after it; holds placed
    before keep the price they locked."""

    capacity: Capacity | None = None
    name: Annotated[Line, Meta(max_length=200)] | None = None
    unit_price: Amount | None = None

    def check(self) -> None:
        if self.capacity is None and self.name is None and self.unit_price is None:
            raise InvalidValueError("body", "names no field to change")


class OverbookingIn(Input):
    """A pool's overbooking allowance: units sellable beyond its capacity (0 turns it off)."""

    units: Capacity


class HoldLineIn(Input):
    pool_id: UUID
    quantity: Quantity


class HoldIn(Input):
    listing_id: UUID
    lines: Annotated[list[HoldLineIn], Meta(min_length=1, max_length=MAX_LINES)]
    # Required from staff and API keys. A signed-in customer's holds are theirs: left out, it
    # is their own `user:<id>`; another value is 403 `customer_mismatch`.
    customer_ref: CustomerRef | None = None
    id: UUID | None = None
    ttl_seconds: TtlSeconds | None = None

    def command(self, actor: Actor, queue_pass: str | None = None) -> PlaceHold:
        """What the route and the hot path both ask the use case (``queue_pass``: the
        ``X-Queue-Pass`` header)."""
        lines = tuple((line.pool_id, line.quantity) for line in self.lines)
        customer = _customer_of(actor, self.customer_ref)
        return PlaceHold(
            actor.tenant.id, self.listing_id, customer, lines, self.id, self.ttl_seconds, actor.subject, queue_pass
        )


def _customer_of(actor: Actor, asked: str | None) -> str:
    """The hold's customer: a customer's own identity, else the one the body names."""
    own = customer_ref_of(actor)
    if own is not None:
        if asked is not None and asked != own:
            raise CustomerMismatchError()
        return own
    if asked is None:
        raise InvalidValueError("customer_ref", "is required (only a signed-in customer may leave it out)")
    return asked


class BookingIn(Input):
    hold_id: UUID
    contact_email: Email | None = None

    def command(self, actor: Actor) -> CreateBooking:
        """What the route and the hot path both ask the use case (a customer books its own
        holds only: another's is not found)."""
        contact = None if self.contact_email is None else EmailAddress(self.contact_email)
        tenant = actor.tenant
        return CreateBooking(tenant.id, self.hold_id, actor_of(tenant), contact, customer_ref_of(actor))


class CancelIn(Input):
    reason: Reason = "cancelled by request"


class RefundIn(Input):
    amount: Annotated[int, Meta(ge=1, le=MAX_MINOR_UNITS)] | None = None  # everything refundable when absent
    reason: Reason = "refunded by the operator"


class MoneyOut(msgspec.Struct):
    amount: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(money.amount, money.currency)


class CountersOut(msgspec.Struct):
    """A pool's live counters. ``capacity`` is the physical one; ``overbooking`` the units
    sellable beyond it; ``sellable`` what the engine counts against (their sum, as the engine
    has it); ``available`` what can still be held (``sellable - held - sold``); ``overbooked``
    the units held or sold beyond the physical capacity (0 unless the pool is overbooked)."""

    pool_id: UUID
    code: str
    capacity: int
    held: int
    sold: int
    available: int
    overbooking: int
    sellable: int
    overbooked: int

    @classmethod
    def of(cls, pool: Pool, counters: PoolCounters) -> CountersOut:
        held, sold = counters.held, counters.sold
        overbooked = pool.overbooked(held + sold)
        return cls(
            pool.id,
            pool.code,
            pool.capacity,
            held,
            sold,
            counters.available,
            pool.overbooking,
            counters.capacity,
            overbooked,
        )


class PoolOut(msgspec.Struct, omit_defaults=True):
    """A pool, in one shape on every route: its own fields, plus ``counters`` (the engine's live
    capacity, held, sold and available) on the routes that answer one pool (create, read, resize).
    Lists leave the counters out (they would be an engine read per pool): a listing's
    ``/availability`` has them all."""

    id: UUID
    listing_id: UUID
    code: str
    name: str
    capacity: int
    unit_price: MoneyOut
    created_at: datetime
    counters: CountersOut | None = None
    night: date | None = None
    overbooking: int = 0  # units sellable beyond capacity; left out when 0 (off)
    archived_at: datetime | None = None  # archived: takes no new holds; absent when not archived

    @classmethod
    def of(cls, pool: Pool, counters: PoolCounters | None = None) -> PoolOut:
        return cls(
            pool.id,
            pool.listing_id,
            pool.code,
            pool.name,
            pool.capacity,
            MoneyOut.of(pool.unit_price),
            pool.created_at,
            None if counters is None else CountersOut.of(pool, counters),
            pool.night,
            pool.overbooking,
            pool.archived_at,
        )


class PolicyOut(msgspec.Struct):
    full_refund_hours: int
    late_refund_percent: int


class QueueOut(msgspec.Struct):
    enabled: bool
    batch_size: int
    period_seconds: int
    pass_ttl_seconds: int
    holds_per_pass: int

    @classmethod
    def of(cls, queue: QueueSettings) -> QueueOut:
        return cls(queue.enabled, queue.batch_size, queue.period_seconds, queue.pass_ttl_seconds, queue.holds_per_pass)


class TicketOut(msgspec.Struct):
    """One's place in a waiting room. ``position``: 1 is next (0 once admitted);
    ``queue_pass``: send it as ``X-Queue-Pass`` with ``POST /v1/holds`` until ``pass_expires_at``."""

    id: UUID
    listing_id: UUID
    state: TicketState
    position: int
    estimated_wait_seconds: int
    joined_at: datetime
    admitted_at: datetime | None
    pass_expires_at: datetime | None
    queue_pass: str | None

    @classmethod
    def of(cls, status: QueueStatus) -> TicketOut:
        ticket = status.ticket
        return cls(
            ticket.id,
            ticket.listing_id,
            ticket.state,
            ticket.position,
            status.estimated_wait_seconds,
            ticket.joined_at,
            ticket.admitted_at,
            ticket.pass_expires_at,
            status.queue_pass,
        )


class ListingOut(msgspec.Struct, omit_defaults=True):
    id: UUID
    kind: ListingKind
    name: str
    starts_at: datetime | None
    per_customer_limit: int | None
    hold_ttl_seconds: int
    cancellation_policy: PolicyOut
    created_at: datetime
    queue: QueueOut
    pools: list[PoolOut] | None = None
    pools_next_cursor: str | None = None  # more pools: GET /v1/listings/{id}/pools?cursor=...
    details: DetailsOut | None = None  # the fields of its kind (see DetailsIn); absent when none were given
    archived_at: datetime | None = None  # archived: takes no new holds; absent when not archived

    @classmethod
    def of(cls, listing: Listing, pools: list[Pool] | None = None, pools_next_cursor: str | None = None) -> ListingOut:
        return cls(
            listing.id,
            listing.kind,
            listing.name,
            listing.starts_at,
            listing.per_customer_limit,
            listing.hold_ttl_seconds,
            PolicyOut(listing.policy.full_refund_hours, listing.policy.late_refund_percent),
            listing.created_at,
            QueueOut.of(listing.queue),
            None if pools is None else [PoolOut.of(pool) for pool in pools],
            pools_next_cursor,
            DetailsOut.of(listing.details),
            listing.archived_at,
        )


class PoolPage(msgspec.Struct):
    items: list[PoolOut]
    next_cursor: str | None


class ListingPage(msgspec.Struct):
    items: list[ListingOut]
    next_cursor: str | None


class AvailabilityOut(msgspec.Struct):
    """A page of a listing's pools with their counters (``next_cursor``: None on the last page)."""

    listing_id: UUID
    pools: list[CountersOut]
    next_cursor: str | None


class LineOut(msgspec.Struct):
    pool_id: UUID
    quantity: int
    unit_price: int

    @classmethod
    def of(cls, line: HoldLine) -> LineOut:
        return cls(line.pool_id, line.quantity, line.unit_price)


class HoldOut(msgspec.Struct):
    id: UUID
    status: str
    listing_id: UUID
    customer_ref: str
    lines: list[LineOut]
    total_price: MoneyOut
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, hold: Hold, now: datetime) -> HoldOut:
        return cls(
            hold.id,
            hold.status_at(now).value,
            hold.listing_id,
            hold.customer_ref,
            [LineOut.of(line) for line in hold.lines],
            MoneyOut.of(hold.total_price),
            hold.created_at,
            hold.expires_at,
        )


class HoldPage(msgspec.Struct):
    items: list[HoldOut]
    next_cursor: str | None


class TransitionOut(msgspec.Struct):
    from_status: str | None
    to_status: str
    at: datetime
    actor: str
    reason: str

    @classmethod
    def of(cls, t: Transition) -> TransitionOut:
        return cls(t.from_status.value if t.from_status else None, t.to_status.value, t.at, t.actor, t.reason)


class PaymentOut(msgspec.Struct):
    """What a client needs to pay (the PaymentIntent and its client secret) and what moved:
    ``captured``, ``refunded``, and ``refunding`` (refunds recorded and reserved, not yet
    settled by the provider; ``GET /v1/bookings/{id}/refunds`` lists them)."""

    intent_id: str
    client_secret: str | None
    amount: int
    currency: str
    pay_before: datetime
    captured: int
    refunded: int
    refunding: int
    last_error: str | None

    @classmethod
    def of(cls, booking: Booking) -> PaymentOut | None:
        payment = booking.payment
        if payment is None:
            return None
        return cls(
            payment.intent_id,
            payment.client_secret,
            booking.total.amount,
            booking.total.currency,
            payment.due_at,
            payment.captured,
            payment.refunded,
            payment.refunding,
            payment.last_error,
        )


class RefundOut(msgspec.Struct):
    id: UUID
    amount: MoneyOut
    status: str
    reason: str
    gateway_refund_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(
            refund.id,
            MoneyOut.of(refund.amount),
            refund.state.value,
            refund.reason,
            refund.gateway_refund_id,
            refund.created_at,
        )


class BookingChangeOut(msgspec.Struct):
    """One change of a booking (``POST /v1/bookings/{id}/changes``): from ``previous_*`` to the
    new listing, lines and total. ``difference`` is what the customer pays (positive: pay it with
    ``client_secret`` before ``pay_before``) or gets back (negative: ``refund_id``)."""

    id: UUID
    state: str
    listing_id: UUID
    lines: list[LineOut]
    total: MoneyOut
    previous_listing_id: UUID
    previous_lines: list[LineOut]
    previous_total: MoneyOut
    difference: int
    intent_id: str | None
    client_secret: str | None
    pay_before: datetime
    refund_id: UUID | None
    reason: str | None
    actor: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, change: BookingChange) -> BookingChangeOut:
        return cls(
            change.id,
            change.state.value,
            change.new_listing_id,
            [LineOut.of(line) for line in change.new_lines],
            MoneyOut.of(change.new_total),
            change.old_listing_id,
            [LineOut.of(line) for line in change.old_lines],
            MoneyOut.of(change.old_total),
            change.difference,
            change.intent_id,
            change.client_secret,
            change.due_at,
            change.refund_id,
            change.reason,
            change.actor,
            change.created_at,
            change.updated_at,
        )


class BookingOut(msgspec.Struct, omit_defaults=True):
    """``status`` is the lifecycle (does the customer have the units?), ``payment_status`` where
    the money stands; a refund changes only the second, a cancellation only the first.
    ``changes``: the booking's change history, oldest first, on ``GET /v1/bookings/{id}`` once
    it has one (left out otherwise)."""

    id: UUID
    status: BookingStatus
    payment_status: PaymentStatus
    hold_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: list[LineOut]
    total: MoneyOut
    created_at: datetime
    updated_at: datetime
    payment: PaymentOut | None
    history: list[TransitionOut]
    contact_email: str | None
    changes: list[BookingChangeOut] | None = None

    @classmethod
    def of(cls, booking: Booking) -> BookingOut:
        return cls(
            booking.id,
            booking.status,
            booking.payment_status,
            booking.hold_id,
            booking.listing_id,
            booking.customer_ref,
            [LineOut.of(line) for line in booking.lines],
            MoneyOut.of(booking.total),
            booking.created_at,
            booking.updated_at,
            PaymentOut.of(booking),
            [TransitionOut.of(t) for t in booking.history],
            None if booking.contact_email is None else booking.contact_email.value,
        )


class DisputeOut(msgspec.Struct):
    id: str
    amount: MoneyOut
    reason: str
    status: str
    recorded_at: datetime

    @classmethod
    def of(cls, dispute: Dispute) -> DisputeOut:
        return cls(
            dispute.gateway_dispute_id, MoneyOut.of(dispute.amount), dispute.reason, dispute.status, dispute.created_at
        )


class RefundResultOut(msgspec.Struct):
    booking: BookingOut
    refund: RefundOut


class BookingPage(msgspec.Struct):
    items: list[BookingOut]
    next_cursor: str | None


class ShortPoolOut(msgspec.Struct):
    pool_id: UUID
    available: int


class ProblemOut(msgspec.Struct):
    """application/problem+json, as every error is answered."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    correlation_id: str
    errors: list[dict[str, str]] | None = None  # validation_failed: each field and what is wrong
    pools: list[ShortPoolOut] | None = None  # insufficient_inventory: the pools that are short
    limit: int | None = None  # customer_limit_exceeded: the listing's per-customer limit,
    already_held: int | None = None  # the units the customer holds or bought already,
    requested: int | None = None  # and the units this request asked for
