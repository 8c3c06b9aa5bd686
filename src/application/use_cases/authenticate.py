"""Find the tenant behind an API key."""

from __future__ import annotations

from application.errors import UnauthenticatedError
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.register_tenant import hash_key
from domain.tenants import Tenant

MAX_KEY_LENGTH = 200


class AuthenticateHandler:
    """A key authenticates its tenant while it is active; anything else is unauthenticated."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, api_key: str | None) -> Tenant:
        if not api_key or len(api_key) > MAX_KEY_LENGTH:
            raise UnauthenticatedError("a valid X-API-Key header is required")
        async with self._uow() as uow:
            tenant = await uow.tenants.tenant_for_key(hash_key(api_key))
        if tenant is None:
            raise UnauthenticatedError("a valid X-API-Key header is required")
        return tenant
