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
    """A client of ``api``'s tenant whose key acts in ``role`` (a customer: an admin-made key
    cannot be one, so the customer's role is given to a key by hand, as the identity part's
    customer tokens will carry it)."""
    tenant_id = await tenant_of(world, api)
    made_as = Role.ADMIN if role is Role.CUSTOMER else role
    made = await world.container.use_cases.create_api_key()(CreateApiKey(tenant_id, f"{role} key", made_as, expires_at))
    if role is Role.CUSTOMER:
        await _act_as_customer(world, made.record.id)
    return Api(api.client, made.key, api.clock)


async def _act_as_customer(world: World, key_id: UUID) -> None:
    from sqlalchemy import update

    from infrastructure.persistence.tables import api_keys

    async with world.container.gateways.database().transaction() as session:
        await session.execute(update(api_keys).where(api_keys.c.id == key_id).values(role=Role.CUSTOMER.value))
    await world.container.gateways.catalogue().changed_keys()
