"""Register a tenant's webhook endpoint: where its events are POSTed, signed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.outgoing_webhooks import WebhookTargetCheck
from application.ports.repositories import UnitOfWorkFactory
from domain.outgoing_webhooks import (
    ALL_EVENTS,
    InvalidWebhookUrlError,
    TooManyWebhookEndpointsError,
    WebhookEndpoint,
    check_event_types,
)
from domain.text import check_line

SECRET_PREFIX = "hfwhsec_"


@dataclass(frozen=True, slots=True)
class CreateWebhookEndpoint:
    tenant_id: UUID
    url: str
    event_types: tuple[str, ...] = (ALL_EVENTS,)

    def __post_init__(self) -> None:
        check_line("url", self.url)


class CreateWebhookEndpointHandler:
    """Rules:

    * the URL is an absolute http(s) URL without credentials, and one webhooks may be sent to
      (``InvalidWebhookUrlError``): https:// only unless plain http is allowed, and a host that
      resolves to no address on our own network unless private targets are allowed. Refused
      now, not at each send: a doomed endpoint would be retried for days, then disabled. (The
      send checks again: a name may resolve elsewhere later);
    * a tenant has at most ``max_endpoints`` endpoints (``TooManyWebhookEndpointsError``),
      counted under the tenant's row lock;
    * the endpoint subscribes to event types Holdfast emits (``UnknownEventTypeError``), or to
      all of them with ``*``;
    * it gets a fresh random signing secret, which the caller shows once: it is never
      returned again;
    * it starts enabled, and gets only events recorded from now on.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        event_types: frozenset[str],
        targets: WebhookTargetCheck,
        max_endpoints: int = 16,
    ) -> None:
        self._uow, self._clock, self._ids, self._known = uow, clock, ids, event_types
        self._targets, self._max_endpoints = targets, max_endpoints

    async def __call__(self, command: CreateWebhookEndpoint) -> WebhookEndpoint:
        now = self._clock.now()
        endpoint = WebhookEndpoint(
            id=self._ids.new_id(),
            tenant_id=command.tenant_id,
            url=command.url,
            event_types=check_event_types(command.event_types, self._known),
            secret=SECRET_PREFIX + secrets.token_urlsafe(32),
            created_at=now,
            updated_at=now,
        )
        if (refused := await self._targets.refusal(endpoint.url)) is not None:
            raise InvalidWebhookUrlError(refused)
        async with self._uow() as uow:
            await uow.tenants.lock(command.tenant_id)
            if await uow.webhook_endpoints.count(command.tenant_id) >= self._max_endpoints:
                raise TooManyWebhookEndpointsError(self._max_endpoints)
            await uow.webhook_endpoints.add(endpoint)
            after = {"url": endpoint.url, "event_types": sorted(endpoint.event_types)}  # never the secret
            await uow.audit.record("webhook_endpoint.create", "webhook_endpoint", endpoint.id, after=after)
            await uow.commit()
        return endpoint
