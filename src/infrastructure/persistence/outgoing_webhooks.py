"""SQL repositories of tenants' webhook endpoints and of the deliveries to them.

Claims are one conditional ``UPDATE``, as in the webhook inbox: on Postgres a second claimer
blocks on the first one's row lock, then re-checks the condition against the committed row and
finds it leased; SQLite has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.outgoing_webhooks import ClaimedDelivery, DeliveryAttempt, DeliveryHistory
from application.ports.repositories import Page, PageRequest
from application.ports.webhooks import Lease
from domain.errors import NotFoundError
from domain.outgoing_webhooks import Delivery, DeliveryStatus, EndpointStatus, WebhookEndpoint
from infrastructure.persistence.chains import waits_behind_earlier
from infrastructure.persistence.cloudevents import structured
from infrastructure.persistence.delivery_tables import webhook_deliveries as deliveries
from infrastructure.persistence.delivery_tables import webhook_delivery_attempts as attempts
from infrastructure.persistence.delivery_tables import webhook_endpoints as endpoints
from infrastructure.persistence.outbox_tables import outbox
from infrastructure.persistence.repositories import _page_of, _paged
from infrastructure.persistence.upsert import chunks, insert_for

_PENDING = DeliveryStatus.PENDING.value


class SqlWebhookEndpointRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, endpoint: WebhookEndpoint) -> None:
        await self._session.execute(insert(endpoints).values(**_endpoint_row(endpoint)))

    async def get(self, tenant_id: UUID, endpoint_id: UUID) -> WebhookEndpoint:
        statement = select(endpoints).where(endpoints.c.id == endpoint_id, endpoints.c.tenant_id == tenant_id)
        row = (await self._session.execute(statement)).first()
        if row is None:
            raise NotFoundError("webhook endpoint", endpoint_id)
        return _endpoint(row)

    async def lock(self, endpoint_id: UUID) -> WebhookEndpoint | None:
        statement = select(endpoints).where(endpoints.c.id == endpoint_id).with_for_update()
        row = (await self._session.execute(statement)).first()
        return None if row is None else _endpoint(row)

    async def list(self, tenant_id: UUID, page: PageRequest) -> Page[WebhookEndpoint]:
        statement = _paged(select(endpoints).where(endpoints.c.tenant_id == tenant_id), endpoints, page)
        return _page_of([_endpoint(row) for row in (await self._session.execute(statement)).all()], page.limit)

    async def count(self, tenant_id: UUID) -> int:
        statement = select(func.count()).select_from(endpoints).where(endpoints.c.tenant_id == tenant_id)
        return int((await self._session.execute(statement)).scalar_one())

    async def enabled_for(self, tenant_id: UUID) -> list[WebhookEndpoint]:
        statement = (
            select(endpoints)
            .where(endpoints.c.tenant_id == tenant_id, endpoints.c.status == EndpointStatus.ENABLED.value)
            .order_by(endpoints.c.created_at, endpoints.c.id)
        )
        return [_endpoint(row) for row in (await self._session.execute(statement)).all()]

    async def save(self, endpoint: WebhookEndpoint) -> None:
        values = _endpoint_row(endpoint)
        for key in ("id", "tenant_id", "url", "event_types", "secret", "created_at"):
            del values[key]
        await self._session.execute(update(endpoints).where(endpoints.c.id == endpoint.id).values(**values))

    async def delete(self, tenant_id: UUID, endpoint_id: UUID) -> None:
        statement = delete(endpoints).where(endpoints.c.id == endpoint_id, endpoints.c.tenant_id == tenant_id)
        if (await self._session.execute(statement)).rowcount != 1:
            raise NotFoundError("webhook endpoint", endpoint_id)


class SqlWebhookDeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, new: Sequence[Delivery]) -> int:
        """Few statements for the batch: the relay calls this while it holds aggregates' locks."""
        added = 0
        for rows in chunks([_delivery_row(delivery) for delivery in new]):
            statement = insert_for(self._session, deliveries).values(rows)
            conflict = statement.on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            added += (await self._session.execute(conflict)).rowcount
        return added

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        statement = (
            select(deliveries.c.id)
            .where(_claimable(now))
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        )
        return list((await self._session.execute(statement)).scalars())

    async def claim(self, delivery_id: UUID, now: datetime, lease: Lease) -> ClaimedDelivery | None:
        statement = (
            update(deliveries)
            .where(deliveries.c.id == delivery_id, _claimable(now))
            .values(lease_token=lease.token, locked_until=lease.until)
        )
        if (await self._session.execute(statement)).rowcount != 1:
            return None
        joined = (
            select(deliveries, endpoints.c.url, endpoints.c.secret, outbox)
            .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
            .join(outbox, outbox.c.id == deliveries.c.event_id)
            .where(deliveries.c.id == delivery_id)
        )
        row = (await self._session.execute(joined)).one()
        event = structured(_OutboxView(row))
        return ClaimedDelivery(_delivery(row), lease, row.url, row.secret, event)

    async def finish(self, delivery: Delivery, lease: Lease) -> bool:
        values = _delivery_row(delivery)
        state = {key: values[key] for key in _STATE}
        statement = (
            update(deliveries)
            .where(deliveries.c.id == delivery.id, deliveries.c.lease_token == lease.token)
            .values(**state, lease_token=None, locked_until=None)
        )
        return bool((await self._session.execute(statement)).rowcount == 1)

    async def add_attempt(self, attempt: DeliveryAttempt) -> None:
        values = {
            "id": attempt.id,
            "delivery_id": attempt.delivery_id,
            "attempted_at": attempt.attempted_at,
            "status_code": attempt.status_code,
            "error": attempt.error,
            "duration_ms": attempt.duration_ms,
        }
        await self._session.execute(insert(attempts).values(**values))

    async def history(
        self, endpoint_id: UUID, status: DeliveryStatus | None, page: PageRequest
    ) -> Page[DeliveryHistory]:
        statement = select(deliveries).where(deliveries.c.endpoint_id == endpoint_id)
        if status is not None:
            statement = statement.where(deliveries.c.status == status.value)
        rows = (await self._session.execute(_paged(statement, deliveries, page))).all()
        found = _page_of([_delivery(row) for row in rows], page.limit)
        tried: dict[UUID, list[DeliveryAttempt]] = {delivery.id: [] for delivery in found.items}
        if tried:
            query = select(attempts).where(attempts.c.delivery_id.in_(tried)).order_by(attempts.c.attempted_at)
            for row in (await self._session.execute(query)).all():
                tried[row.delivery_id].append(_attempt(row))
        return Page([DeliveryHistory(d, tried[d.id]) for d in found.items], found.next_after)


_STATE = ("status", "attempts", "next_attempt_at", "last_status_code", "last_error", "updated_at", "delivered_at")


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Pending, due, unleased, to an enabled endpoint, and first in line of its endpoint and
    aggregate: no earlier delivery of theirs is still pending (nor being sent)."""
    waits = waits_behind_earlier(deliveries, ("endpoint_id", "aggregate_id"), _PENDING)
    enabled = exists().where(
        endpoints.c.id == deliveries.c.endpoint_id, endpoints.c.status == EndpointStatus.ENABLED.value
    )
    unleased = or_(deliveries.c.locked_until.is_(None), deliveries.c.locked_until < now)
    return and_(deliveries.c.status == _PENDING, deliveries.c.next_attempt_at <= now, unleased, enabled, ~waits)


class _OutboxView:
    """The outbox columns of a joined row, named as ``structured`` expects them."""

    def __init__(self, row: Any) -> None:
        mapping = row._mapping
        for column in outbox.c:
            setattr(self, column.name, mapping[column])


def _endpoint_row(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "tenant_id": endpoint.tenant_id,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "secret": endpoint.secret,
        "status": endpoint.status.value,
        "consecutive_failures": endpoint.consecutive_failures,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": endpoint.disabled_at,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def _endpoint(row: Any) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        tenant_id=row.tenant_id,
        url=row.url,
        event_types=tuple(row.event_types),
        secret=row.secret,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=EndpointStatus(row.status),
        consecutive_failures=row.consecutive_failures,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
    )


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "aggregate_id": delivery.aggregate_id,
        "sequence": delivery.sequence,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
        "delivered_at": delivery.delivered_at,
    }


def _delivery(row: Any) -> Delivery:
    mapping = row._mapping
    values = {name: mapping[deliveries.c[name]] for name in _DELIVERY_FIELDS}
    values["status"] = DeliveryStatus(values["status"])
    return Delivery(**values)


_DELIVERY_FIELDS = (
    "id",
    "endpoint_id",
    "event_id",
    "event_type",
    "aggregate_id",
    "sequence",
    "created_at",
    "updated_at",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
    "last_error",
    "delivered_at",
)


def _attempt(row: Any) -> DeliveryAttempt:
    return DeliveryAttempt(row.id, row.delivery_id, row.attempted_at, row.status_code, row.error, row.duration_ms)
