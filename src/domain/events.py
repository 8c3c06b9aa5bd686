"""Domain events: facts, named in the past tense, collected by aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class DomainEvent:
    aggregate_id: UUID
    tenant_id: UUID

    @property
    def type(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, slots=True)
class BookingEvent(DomainEvent):
    hold_id: UUID
    at: datetime


@dataclass(frozen=True, slots=True)
class BookingConfirmed(BookingEvent):
    pass


@dataclass(frozen=True, slots=True)
class BookingCancelled(BookingEvent):
    pass


@dataclass(frozen=True, slots=True)
class BookingAwaitingPayment(BookingEvent):
    payment_intent_id: str


@dataclass(frozen=True, slots=True)
class BookingPaymentFailed(BookingEvent):
    error: str


@dataclass(frozen=True, slots=True)
class BookingExpired(BookingEvent):
    pass


@dataclass(frozen=True, slots=True)
class BookingRefunded(BookingEvent):
    amount: int


@dataclass(frozen=True, slots=True)
class BookingDisputed(BookingEvent):
    dispute_id: str
