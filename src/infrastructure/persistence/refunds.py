"""SQL repositories of refunds and disputes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.disputes import Dispute
from domain.money import Money
from domain.refunds import Refund, RefundState
from infrastructure.persistence.tables import disputes, refunds
from infrastructure.persistence.upsert import insert_for


class SqlRefundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, refund: Refund) -> None:
        await self._session.execute(insert(refunds).values(**_to_row(refund)))

    async def save(self, refund: Refund) -> None:
        values = _to_row(refund)
        await self._session.execute(update(refunds).where(refunds.c.id == refund.id).values(**values))

    async def for_booking(self, booking_id: UUID) -> list[Refund]:
        statement = select(refunds).where(refunds.c.booking_id == booking_id).order_by(refunds.c.created_at)
        return [_from_row(row) for row in (await self._session.execute(statement)).all()]

    async def by_gateway_id(self, gateway_refund_id: str) -> Refund | None:
        statement = select(refunds).where(refunds.c.gateway_refund_id == gateway_refund_id)
        row = (await self._session.execute(statement)).first()
        return None if row is None else _from_row(row)

    async def requested_before(self, cutoff: datetime, limit: int) -> list[Refund]:
        statement = (
            select(refunds)
            .where(refunds.c.status == RefundState.REQUESTED.value, refunds.c.updated_at <= cutoff)
            .order_by(refunds.c.updated_at, refunds.c.id)
            .limit(limit)
        )
        return [_from_row(row) for row in (await self._session.execute(statement)).all()]

    async def claim(self, refund_id: UUID, cutoff: datetime, now: datetime) -> bool:
        # One conditional update: on Postgres a second claimer waits for the first to commit,
        # then finds updated_at moved past the cutoff and updates nothing.
        statement = (
            update(refunds)
            .where(
                refunds.c.id == refund_id,
                refunds.c.status == RefundState.REQUESTED.value,
                refunds.c.updated_at <= cutoff,
            )
            .values(updated_at=now)
        )
        return bool((await self._session.execute(statement)).rowcount)  # type: ignore[attr-defined]


def _to_row(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "tenant_id": refund.tenant_id,
        "booking_id": refund.booking_id,
        "gateway_refund_id": refund.gateway_refund_id,
        "amount": refund.amount.amount,
        "currency": refund.amount.currency,
        "status": refund.state.value,
        "reason": refund.reason,
        "created_at": refund.created_at,
        "updated_at": refund.updated_at,
    }


def _from_row(row: Any) -> Refund:
    return Refund(
        id=row.id,
        tenant_id=row.tenant_id,
        booking_id=row.booking_id,
        amount=Money(row.amount, row.currency),
        reason=row.reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=RefundState(row.status),
        gateway_refund_id=row.gateway_refund_id,
    )


class SqlDisputeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, dispute: Dispute) -> bool:
        values = {
            "gateway_dispute_id": dispute.gateway_dispute_id,
            "tenant_id": dispute.tenant_id,
            "booking_id": dispute.booking_id,
            "amount": dispute.amount.amount,
            "currency": dispute.amount.currency,
            "reason": dispute.reason,
            "status": dispute.status,
            "created_at": dispute.created_at,
        }
        statement = insert_for(self._session, disputes).values(**values).on_conflict_do_nothing()
        return bool((await self._session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def for_booking(self, booking_id: UUID) -> list[Dispute]:
        statement = select(disputes).where(disputes.c.booking_id == booking_id).order_by(disputes.c.created_at)
        return [
            Dispute(
                row.gateway_dispute_id,
                row.tenant_id,
                row.booking_id,
                Money(row.amount, row.currency),
                row.reason,
                row.status,
                row.created_at,
            )
            for row in (await self._session.execute(statement)).all()
        ]
