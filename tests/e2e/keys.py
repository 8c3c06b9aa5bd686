"""API keys of a role for the e2e tests' tenants (the matrix test, the sweep, /v1/api-keys)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.use_cases.create_api_key import CreateApiKey
from domain.roles import Role
from tests.e2e.conftest import Api, World


async def tenant_of(world: World, api: Api) -> UUID:
    """The tenant ``api``'s key speaks for."""
    return (await world.container.use_cases.authenticate()(api.key)).tenant.id


async def key_for(world: World, api: Api, role: Role, expires_at: datetime | None = None) -> Api:
    """A client of ``api``'s tenant whose key acts in ``role`` (never a customer: customers sign
    in as users, tests/e2e/identity_helpers.py)."""
    tenant_id = await tenant_of(world, api)
    made = await world.container.use_cases.create_api_key()(CreateApiKey(tenant_id, f"{role} key", role, expires_at))
    return Api(api.client, made.key, api.clock)
