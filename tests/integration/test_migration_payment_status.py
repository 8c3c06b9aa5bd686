"""Revision 0010 tells a booking's lifecycle from its money, for bookings written before it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure import migrations
from infrastructure.persistence.tables import booking_transitions, bookings, listings, tenants

AT = datetime(2030, 1, 1, tzinfo=UTC)
# (status before, transitions before, captured, refunded) -> (status, payment status, transitions after)
CASES: dict[str, tuple[Any, ...]] = {
    "cancelled then refunded": (
        "refunded",
        ["pending_payment", "confirmed", "cancelled", "refunded"],
        2000,
        2000,
        ("cancelled", "refunded", ["pending_payment", "confirmed", "cancelled"]),
    ),
    "goodwill in full, then cancelled": (
        "cancelled",
        ["pending_payment", "confirmed", "refunded", "cancelled"],
        2000,
        2000,
        ("cancelled", "refunded", ["pending_payment", "confirmed", "cancelled"]),
    ),
    "part refunded, kept": (
        "partially_refunded",
        ["pending_payment", "confirmed", "partially_refunded"],
        2000,
        500,
        ("confirmed", "partially_refunded", ["pending_payment", "confirmed"]),
    ),
    "paid": ("confirmed", ["pending_payment", "confirmed"], 2000, 0, ("confirmed", "paid", None)),
    "never paid": ("expired", ["pending_payment", "expired"], 0, 0, ("expired", "unpaid", None)),
}


async def _execute(url: str, statements: list[Any]) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            results = [await connection.execute(statement) for statement in statements]
            return [result.all() if result.returns_rows else None for result in results]
    finally:
        await engine.dispose()


def _seed(tenant: UUID, listing: UUID) -> list[Any]:
    """Rows as revision 0009 had them (only the columns it knew)."""
    statements: list[Any] = [
        insert(tenants).values(id=tenant, name="acme", created_at=AT),
        insert(listings).values(
            id=listing, tenant_id=tenant, kind="event_show", name="Show", hold_ttl_seconds=600, created_at=AT, version=1
        ),
    ]
    for name, (status, moves, captured, refunded, _) in CASES.items():
        booking = uuid4()
        values = {
            "id": booking,
            "tenant_id": tenant,
            "hold_id": uuid4(),
            "listing_id": listing,
            "customer_ref": name,
            "lines": [],
            "total_amount": 2000,
            "currency": "EUR",
            "status": status,
            "payment_intent_id": f"pi_{booking.hex}",
            "amount_captured": captured,
            "amount_refunded": refunded,
            "created_at": AT,
            "updated_at": AT,
            "version": 1,
        }
        statements.append(insert(bookings).values(**values))
        for seq, (source, target) in enumerate(zip([None, *moves], moves, strict=False), start=1):
            move = {"seq": seq, "from_status": source, "to_status": target, "at": AT, "actor": "t", "reason": "t"}
            statements.append(insert(booking_transitions).values(booking_id=booking, **move))
    return statements


async def test_refunded_bookings_go_back_to_their_lifecycle_and_keep_their_money_state(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url, "0009")
    await _execute(empty_database_url, _seed(uuid4(), uuid4()))

    migrations.upgrade(empty_database_url, "0010")

    rows, history = await _execute(
        empty_database_url,
        [
            select(bookings.c.id, bookings.c.customer_ref, bookings.c.status, bookings.c.payment_status),
            select(
                booking_transitions.c.booking_id,
                booking_transitions.c.seq,
                booking_transitions.c.from_status,
                booking_transitions.c.to_status,
            ).order_by(booking_transitions.c.seq),
        ],
    )
    for row in rows:
        status, money, moves = CASES[row.customer_ref][-1]
        kept = [(t.seq, t.from_status, t.to_status) for t in history if t.booking_id == row.id]
        assert (row.status, row.payment_status) == (status, money), row.customer_ref
        expected = moves or CASES[row.customer_ref][1]
        assert kept == list(zip(range(1, len(expected) + 1), [None, *expected], expected, strict=False))
