"""bookings: the lifecycle and the money told apart

``status`` keeps the lifecycle only (pending_payment, payment_failed, confirmed, expired,
cancelled); the new ``payment_status`` says where the money stands (none, unpaid, paid,
partially_refunded, refunded). A booking that was ``refunded`` or ``partially_refunded`` goes
back to the lifecycle status it had reached (cancelled if it was ever cancelled, else confirmed
if it was ever confirmed, else expired), and the refund moves leave its transition history,
which is renumbered; the refunds themselves stay in ``refunds`` and the ledger.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_STATES = ("partially_refunded", "refunded")
PAYMENT_STATUS = """
    CASE
        WHEN payment_intent_id IS NULL THEN 'none'
        WHEN amount_captured = 0 THEN 'unpaid'
        WHEN amount_refunded = 0 THEN 'paid'
        WHEN amount_refunded < amount_captured THEN 'partially_refunded'
        ELSE 'refunded'
    END
"""
bookings = sa.table("bookings", sa.column("id", sa.Uuid()), sa.column("status", sa.String()))
transitions = sa.table(
    "booking_transitions",
    sa.column("id", sa.Integer()),
    sa.column("booking_id", sa.Uuid()),
    sa.column("seq", sa.Integer()),
    sa.column("from_status", sa.String()),
    sa.column("to_status", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("payment_status", sa.String(32), nullable=False, server_default="none"))
    op.execute(f"UPDATE bookings SET payment_status = {PAYMENT_STATUS}")
    op.create_index("ix_bookings_tenant_payment_status", "bookings", ["tenant_id", "payment_status"])
    connection = op.get_bind()
    moved = connection.execute(
        sa.select(transitions).where(transitions.c.to_status.in_(MONEY_STATES)).order_by(transitions.c.id)
    ).all()
    for booking_id in dict.fromkeys(row.booking_id for row in moved):
        _lifecycle_only(connection, booking_id)


def _lifecycle_only(connection: Any, booking_id: Any) -> None:
    """Drop the booking's refund moves from its history and set its status to where its
    lifecycle stands; the remaining transitions are renumbered 1..n, each from the one before."""
    rows = connection.execute(
        sa.select(transitions).where(transitions.c.booking_id == booking_id).order_by(transitions.c.seq)
    ).all()
    kept = [row for row in rows if row.to_status not in MONEY_STATES]
    connection.execute(sa.delete(transitions).where(transitions.c.id.in_([row.id for row in rows if row not in kept])))
    previous = None
    for seq, row in enumerate(kept, start=1):
        values = {"seq": seq, "from_status": previous}
        connection.execute(sa.update(transitions).where(transitions.c.id == row.id).values(**values))
        previous = row.to_status
    if previous is not None:
        connection.execute(sa.update(bookings).where(bookings.c.id == booking_id).values(status=previous))


def downgrade() -> None:
    """The money status folds back into ``status`` for confirmed and cancelled bookings (the
    refund moves dropped from the history are not restored)."""
    op.execute(
        "UPDATE bookings SET status = payment_status "
        "WHERE payment_status IN ('partially_refunded', 'refunded') AND status IN ('confirmed', 'cancelled')"
    )
    op.drop_index("ix_bookings_tenant_payment_status", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("payment_status")
