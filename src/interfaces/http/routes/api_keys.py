"""A tenant's own API keys: made in a role (shown once), listed and read without secrets, revoked."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.use_cases.create_api_key import CreateApiKey, CreateApiKeyHandler
from application.use_cases.delete_api_key import DeleteApiKeyHandler
from application.use_cases.get_api_key import GetApiKeyHandler
from application.use_cases.list_api_keys import ListApiKeysHandler
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.api_key_schemas import ApiKeyIn, ApiKeyOut, ApiKeyPage, CreatedApiKeyOut
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request
from interfaces.http.permissions import requires

_MANAGE = requires(Permission.API_KEYS_MANAGE)


class ApiKeyController(Controller):
    path = "/api-keys"
    tags = ["api keys"]

    @post(
        "/",
        opt=_MANAGE,
        dependencies={"create_api_key": use_case("create_api_key")},
        response_headers=CREATED_HEADERS,
        responses=problems("customer_key_not_allowed"),
    )
    async def create(
        self,
        data: JSONBody[ApiKeyIn],
        tenant: NamedDependency[Tenant],
        create_api_key: NamedDependency[CreateApiKeyHandler],
    ) -> Response[CreatedApiKeyOut]:
        """Make a key for this tenant in a role (not ``customer``), ending at ``expires_at`` if
        given. The answer holds the key itself: keep it, it is not shown again."""
        made = await create_api_key(CreateApiKey(tenant.id, data.label, data.role, data.expires_at))
        return created(CreatedApiKeyOut.made(made.record, made.key), "api-keys", made.record.id)

    @get("/", opt=_MANAGE, dependencies={"list_api_keys": use_case("list_api_keys")}, responses=problems())
    async def index(
        self,
        tenant: NamedDependency[Tenant],
        list_api_keys: NamedDependency[ListApiKeysHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> ApiKeyPage:
        """The tenant's active keys, oldest first, without secrets (revoked, expired and operator
        keys are not listed)."""
        page = await list_api_keys(tenant.id, page_request(limit, cursor))
        return ApiKeyPage([ApiKeyOut.of(item) for item in page.items], encode_cursor(page.next_after))

    @get(
        "/{key_id:uuid}",
        opt=_MANAGE,
        dependencies={"get_api_key": use_case("get_api_key")},
        responses=problems("not_found"),
    )
    async def show(
        self, key_id: FromPath[UUID], tenant: NamedDependency[Tenant], get_api_key: NamedDependency[GetApiKeyHandler]
    ) -> ApiKeyOut:
        return ApiKeyOut.of(await get_api_key(tenant.id, key_id))

    @delete(
        "/{key_id:uuid}",
        opt=_MANAGE,
        dependencies={"delete_api_key": use_case("delete_api_key")},
        responses=problems("not_found"),
    )
    async def revoke(
        self,
        key_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        delete_api_key: NamedDependency[DeleteApiKeyHandler],
    ) -> None:
        """Revoke the key now (204): every process refuses it within the catalogue's bound.
        Revoking again is 404: the key is gone (as ``GET`` says)."""
        await delete_api_key(tenant.id, key_id)
