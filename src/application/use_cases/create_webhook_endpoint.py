"""Register a tenant's webhook endpoint: where its events are POSTed, signed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import UnitOfWorkFactory
from domain.outgoing_webhooks import ALL_EVENTS, WebhookEndpoint, check_event_types
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

    * the URL is an absolute http(s) URL without credentials (``InvalidWebhookUrlError``);
    * the endpoint subscribes to event types Holdfast emits (``UnknownEventTypeError``), or to
      all of them with ``*``;
    * it gets a fresh random signing secret, which the caller shows once: it is never
      returned again;
    * it starts enabled, and gets only events recorded from now on.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, event_types: frozenset[str]) -> None:
        self._uow, self._clock, self._ids, self._known = uow, clock, ids, event_types

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
        async with self._uow() as uow:
            await uow.webhook_endpoints.add(endpoint)
            await uow.commit()
        return endpoint
