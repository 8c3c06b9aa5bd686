"""What every money movement writes besides the booking: ledger postings and outbox events.

Shared by the checkout, webhook, refund and expiry use cases, so each movement is recorded the
same way, inside the caller's unit of work. Postings carry external references (the intent,
the refund), so recording one fact twice posts nothing the second time.
"""

from __future__ import annotations

from datetime import datetime

from application.ports.repositories import UnitOfWork
from domain import ledger
from domain.bookings import Booking, BookingStatus
from domain.money import Money
from domain.refunds import Refund


async def record_capture(uow: UnitOfWork, booking: Booking, fee: int | None, now: datetime) -> None:
    """The captured payment, its confirmation (earned) when the booking was confirmed, the fee."""
    assert booking.payment is not None
    intent, currency = booking.payment.intent_id, booking.total.currency
    captured = Money(booking.payment.captured, currency)
    await uow.ledger.append(ledger.payment_captured(booking.tenant_id, booking.id, intent, captured, at=now))
    if booking.status is BookingStatus.CONFIRMED:
        await uow.ledger.append(ledger.booking_confirmed(booking.tenant_id, booking.id, intent, captured, at=now))
    if fee:
        await uow.ledger.append(ledger.fee_charged(booking.tenant_id, booking.id, intent, Money(fee, currency), at=now))
    await uow.outbox.add(booking.events)


async def record_refund(uow: UnitOfWork, booking: Booking, refund: Refund, now: datetime) -> None:
    """Earned money given back, or a payment that never became revenue returned."""
    reference = refund.gateway_refund_id or f"refund:{refund.id}"
    earned = any(t.to_status is BookingStatus.CONFIRMED for t in booking.history)
    post = ledger.refund_recorded if earned else ledger.payment_returned
    await uow.ledger.append(post(booking.tenant_id, booking.id, reference, refund.amount, at=now))
    await uow.outbox.add(booking.events)
