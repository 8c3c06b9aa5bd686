"""Disputes (chargebacks) a customer opened with their bank against a booking's payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.money import Money


@dataclass(frozen=True, slots=True)
class Dispute:
    """Recorded as the provider reported it; the provider's id keeps it recorded once."""

    gateway_dispute_id: str
    tenant_id: UUID
    booking_id: UUID
    amount: Money
    reason: str
    status: str
    created_at: datetime
