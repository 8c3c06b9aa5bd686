"""One of a tenant's own API keys, without its secret."""

from __future__ import annotations

from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import ApiKeyRecord, UnitOfWorkFactory
from domain.errors import NotFoundError


class GetApiKeyHandler:
    """Another tenant's key, an ended (revoked or expired) key and a scoped (operator) key are
    all ``NotFoundError``, exactly like a key that never existed."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, tenant_id: UUID, key_id: UUID) -> ApiKeyRecord:
        async with self._uow() as uow:
            found = await uow.tenants.managed_key(tenant_id, key_id, self._clock.now())
        if found is None:
            raise NotFoundError("api key", key_id)
        return found
