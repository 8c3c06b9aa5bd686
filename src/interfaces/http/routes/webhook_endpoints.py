"""Tenants' outgoing webhooks: where their events are POSTed, and what was sent there."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.use_cases.create_webhook_endpoint import CreateWebhookEndpoint, CreateWebhookEndpointHandler
from application.use_cases.delete_webhook_endpoint import DeleteWebhookEndpointHandler
from application.use_cases.enable_webhook_endpoint import EnableWebhookEndpointHandler
from application.use_cases.get_webhook_endpoint import GetWebhookEndpointHandler
from application.use_cases.list_webhook_deliveries import ListWebhookDeliveriesHandler
from application.use_cases.list_webhook_endpoints import ListWebhookEndpointsHandler
from domain.outgoing_webhooks import DeliveryStatus
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request
from interfaces.http.permissions import requires
from interfaces.http.webhook_endpoint_schemas import (
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPage,
)


class WebhookEndpointController(Controller):
    path = "/webhook-endpoints"
    tags = ["webhooks"]

    @post(
        "/",
        opt=requires(Permission.WEBHOOKS_MANAGE),
        dependencies={"create_webhook_endpoint": use_case("create_webhook_endpoint")},
        response_headers=CREATED_HEADERS,
        responses=problems("invalid_webhook_url", "unknown_event_type", "too_many_webhook_endpoints"),
    )
    async def create(
        self,
        data: JSONBody[WebhookEndpointIn],
        tenant: NamedDependency[Tenant],
        create_webhook_endpoint: NamedDependency[CreateWebhookEndpointHandler],
    ) -> Response[WebhookEndpointOut]:
        """Register an endpoint. The answer holds its signing ``secret``: keep it, it is not shown again."""
        command = CreateWebhookEndpoint(tenant.id, data.url, tuple(data.event_types))
        endpoint = await create_webhook_endpoint(command)
        return created(WebhookEndpointOut.of(endpoint, with_secret=True), "webhook-endpoints", endpoint.id)

    @get(
        "/",
        opt=requires(Permission.WEBHOOKS_MANAGE),
        dependencies={"list_webhook_endpoints": use_case("list_webhook_endpoints")},
        responses=problems(),
    )
    async def index(
        self,
        tenant: NamedDependency[Tenant],
        list_webhook_endpoints: NamedDependency[ListWebhookEndpointsHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> WebhookEndpointPage:
        page = await list_webhook_endpoints(tenant.id, page_request(limit, cursor))
        items = [WebhookEndpointOut.of(endpoint) for endpoint in page.items]
        return WebhookEndpointPage(items, encode_cursor(page.next_after))

    @get(
        "/{endpoint_id:uuid}",
        opt=requires(Permission.WEBHOOKS_MANAGE),
        dependencies={"get_webhook_endpoint": use_case("get_webhook_endpoint")},
        responses=problems("not_found"),
    )
    async def show(
        self,
        endpoint_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_webhook_endpoint: NamedDependency[GetWebhookEndpointHandler],
    ) -> WebhookEndpointOut:
        """The endpoint with its status and how many attempts failed in a row."""
        return WebhookEndpointOut.of(await get_webhook_endpoint(tenant.id, endpoint_id))

    @delete(
        "/{endpoint_id:uuid}",
        opt=requires(Permission.WEBHOOKS_MANAGE),
        status_code=200,
        dependencies={"delete_webhook_endpoint": use_case("delete_webhook_endpoint")},
        responses=problems("not_found"),
    )
    async def remove(
        self,
        endpoint_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        delete_webhook_endpoint: NamedDependency[DeleteWebhookEndpointHandler],
    ) -> WebhookEndpointOut:
        """Remove the endpoint with its deliveries; nothing more is sent to it."""
        return WebhookEndpointOut.of(await delete_webhook_endpoint(tenant.id, endpoint_id))

    @post(
        "/{endpoint_id:uuid}/enable",
        opt=requires(Permission.WEBHOOKS_MANAGE),
        status_code=200,
        dependencies={"enable_webhook_endpoint": use_case("enable_webhook_endpoint")},
        responses=problems("not_found"),
    )
    async def enable(
        self,
        endpoint_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        enable_webhook_endpoint: NamedDependency[EnableWebhookEndpointHandler],
    ) -> WebhookEndpointOut:
        """Enable an endpoint disabled for failing; its pending deliveries go out again, in order."""
        return WebhookEndpointOut.of(await enable_webhook_endpoint(tenant.id, endpoint_id))

    @get(
        "/{endpoint_id:uuid}/deliveries",
        opt=requires(Permission.WEBHOOKS_MANAGE),
        dependencies={"list_webhook_deliveries": use_case("list_webhook_deliveries")},
        responses=problems("not_found"),
    )
    async def deliveries(
        self,
        endpoint_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        list_webhook_deliveries: NamedDependency[ListWebhookDeliveriesHandler],
        status: FromQuery[DeliveryStatus | None] = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> WebhookDeliveryPage:
        """The endpoint's deliveries, oldest first, each with every attempt: status code, error, duration."""
        page = await list_webhook_deliveries(tenant.id, endpoint_id, status, page_request(limit, cursor))
        return WebhookDeliveryPage([WebhookDeliveryOut.of(item) for item in page.items], encode_cursor(page.next_after))
