"""Refunds we ask the payment gateway for."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidValueError
from domain.money import Money


class RefundState(enum.StrEnum):
    REQUESTED = "requested"  # recorded, the gateway not yet (or not successfully) asked
    PENDING = "pending"  # the gateway accepted it; money not back yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(slots=True)
class Refund:
    """One refund of one booking. Written ``requested`` before the gateway call, so that the
    call's idempotency key (``refund:<id>``) exists before any money can move."""

    id: UUID
    tenant_id: UUID
    booking_id: UUID
    amount: Money
    reason: str
    created_at: datetime
    updated_at: datetime
    state: RefundState = RefundState.REQUESTED
    gateway_refund_id: str | None = None

    def __post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise InvalidValueError("amount", "must be positive")
        if not self.reason.strip() or len(self.reason) > 500:
            raise InvalidValueError("reason", "must be 1 to 500 characters")

    @property
    def is_final(self) -> bool:
        """Counted already (succeeded) or never to be (failed)."""
        return self.state in (RefundState.SUCCEEDED, RefundState.FAILED)

    @property
    def is_outstanding(self) -> bool:
        """Asked for (or about to be) and not settled: its amount is reserved, not yet refunded."""
        return self.state in (RefundState.REQUESTED, RefundState.PENDING)

    @property
    def idempotency_key(self) -> str:
        return f"refund:{self.id}"

    def settle(self, gateway_refund_id: str, state: RefundState, now: datetime) -> None:
        self.gateway_refund_id = gateway_refund_id
        self.state = state
        self.updated_at = now

    def refuse(self, now: datetime) -> None:
        """The gateway refused to make it (nothing left to refund, a payment not refundable):
        no money moved, and it no longer counts against what can still be refunded."""
        self.state = RefundState.FAILED
        self.updated_at = now


def outstanding(refunds: list[Refund]) -> int:
    """What the refunds asked for but not yet settled add up to: reserved against the payment."""
    return sum(refund.amount.amount for refund in refunds if refund.is_outstanding)
