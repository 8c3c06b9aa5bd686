"""Ports of tenants' outgoing webhooks: their endpoints, the deliveries to them, and the HTTP
client that POSTs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from application.ports.webhooks import Lease
from domain.outgoing_webhooks import Delivery, DeliveryStatus, WebhookEndpoint

if TYPE_CHECKING:
    from application.ports.repositories import Page, PageRequest


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST of a delivery: the answer's status (None when none came), or why none came."""

    id: UUID
    delivery_id: UUID
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class DeliveryHistory:
    delivery: Delivery
    attempts: list[DeliveryAttempt]


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one sender, with what it needs to send: where, the signing secret,
    and the event as a structured-mode CloudEvent."""

    delivery: Delivery
    lease: Lease
    url: str
    secret: str
    event: dict[str, Any]


class WebhookEndpointRepository(Protocol):
    async def add(self, endpoint: WebhookEndpoint) -> None: ...

    async def get(self, tenant_id: UUID, endpoint_id: UUID) -> WebhookEndpoint:
        """The tenant's endpoint; another tenant's is ``NotFoundError`` as if absent."""
        ...

    async def lock(self, endpoint_id: UUID) -> WebhookEndpoint | None:
        """The endpoint, locked until the unit of work ends (its counters change under the lock)."""
        ...

    async def enabled_for(self, tenant_id: UUID) -> list[WebhookEndpoint]: ...

    async def save(self, endpoint: WebhookEndpoint) -> None: ...

    async def delete(self, tenant_id: UUID, endpoint_id: UUID) -> None:
        """Remove the endpoint with its deliveries; ``NotFoundError`` when absent."""
        ...

    async def list(self, tenant_id: UUID, page: PageRequest) -> Page[WebhookEndpoint]: ...

    async def count(self, tenant_id: UUID) -> int:
        """How many endpoints the tenant has, enabled or not."""
        ...


class WebhookTargetCheck(Protocol):
    async def refusal(self, url: str) -> str | None:
        """Why webhooks may not be sent to ``url`` (plain http where only https is allowed, a
        host on our own network), or None."""
        ...


class WebhookDeliveryRepository(Protocol):
    async def add(self, deliveries: Sequence[Delivery]) -> int:
        """Store new deliveries, skipping any whose (endpoint, event) is stored; how many were new."""
        ...

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        """Pending, due, unleased deliveries to enabled endpoints, soonest due first, leaving out
        any that waits for an earlier pending delivery of the same endpoint and aggregate."""
        ...

    async def claim(self, delivery_id: UUID, now: datetime, lease: Lease) -> ClaimedDelivery | None:
        """Atomically lease a delivery that ``due`` would list; None when it is not claimable."""
        ...

    async def finish(self, delivery: Delivery, lease: Lease) -> bool:
        """Write the delivery's new state and drop the lease, if ``lease`` is still the one stored."""
        ...

    async def add_attempt(self, attempt: DeliveryAttempt) -> None: ...

    async def history(
        self, endpoint_id: UUID, status: DeliveryStatus | None, page: PageRequest
    ) -> Page[DeliveryHistory]:
        """An endpoint's deliveries, oldest first, each with its attempts."""
        ...


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status_code: int | None  # None: no answer (refused, reset, timed out)
    error: str | None
    duration_ms: int


class WebhookSender(Protocol):
    """POSTs to tenants' endpoints: never follows redirects, gives up after a timeout."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        """The answer; failures to get one are answers too (``status_code`` None), never raised."""
        ...
