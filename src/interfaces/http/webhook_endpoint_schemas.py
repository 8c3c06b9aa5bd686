"""HTTP bodies of tenants' webhook endpoints and of the deliveries made to them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from application.ports.outgoing_webhooks import DeliveryAttempt, DeliveryHistory
from domain.outgoing_webhooks import (
    ALL_EVENTS,
    MAX_EVENT_TYPES,
    MAX_URL_LENGTH,
    DeliveryStatus,
    EndpointStatus,
    WebhookEndpoint,
)
from interfaces.http.schemas import Input
from interfaces.http.text import Line

EventTypeName = Annotated[Line, Meta(min_length=1, max_length=200)]


def _all_events() -> list[str]:
    return [ALL_EVENTS]


class WebhookEndpointIn(Input):
    """``event_types``: CloudEvents types such as ``holdfast.booking.confirmed.v1``, or ``["*"]``
    (the default) for every type."""

    url: Annotated[Line, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    event_types: Annotated[list[EventTypeName], Meta(min_length=1, max_length=MAX_EVENT_TYPES)] = msgspec.field(
        default_factory=_all_events
    )


class WebhookEndpointOut(msgspec.Struct, omit_defaults=True):
    """``secret`` signs every delivery (``Holdfast-Signature``); it is shown once, on creation."""

    id: UUID
    url: str
    event_types: list[str]
    status: EndpointStatus
    consecutive_failures: int
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    secret: str | None = None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, *, with_secret: bool = False) -> WebhookEndpointOut:
        return cls(
            endpoint.id,
            endpoint.url,
            list(endpoint.event_types),
            endpoint.status,
            endpoint.consecutive_failures,
            endpoint.disabled_reason,
            endpoint.disabled_at,
            endpoint.created_at,
            endpoint.updated_at,
            endpoint.secret if with_secret else None,
        )


class WebhookEndpointPage(msgspec.Struct):
    items: list[WebhookEndpointOut]
    next_cursor: str | None


class DeliveryAttemptOut(msgspec.Struct):
    """One POST: the endpoint's status code (null when none came: see ``error``) and how long it took."""

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> DeliveryAttemptOut:
        return cls(attempt.attempted_at, attempt.status_code, attempt.error, attempt.duration_ms)


class WebhookDeliveryOut(msgspec.Struct):
    id: UUID
    event_id: UUID
    event_type: str
    status: DeliveryStatus
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[DeliveryAttemptOut]

    @classmethod
    def of(cls, found: DeliveryHistory) -> WebhookDeliveryOut:
        delivery = found.delivery
        return cls(
            delivery.id,
            delivery.event_id,
            delivery.event_type,
            delivery.status,
            delivery.next_attempt_at,
            delivery.created_at,
            delivery.delivered_at,
            [DeliveryAttemptOut.of(attempt) for attempt in found.attempts],
        )


class WebhookDeliveryPage(msgspec.Struct):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None
