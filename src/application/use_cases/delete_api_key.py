"""A tenant's admin revokes one of the tenant's own API keys, by id."""

from __future__ import annotations

from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import NotFoundError


class DeleteApiKeyHandler:
    """Rules:

    * the key stops now: a key in a rotation's grace period ends at once too;
    * only an active managed key of the caller's tenant can be revoked; revoking again (or an
      expired key, another tenant's, an operator key) is ``NotFoundError``: the key is gone,
      as ``GET`` says too, and nothing changes;
    * an admin may revoke the very key it calls with (its next request is 401);
    * the revocation is committed first, then announced to the catalogue cache: every process
      refuses the key within the cache's bound (``application.ports.catalogue``).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._catalogue = uow, clock, catalogue

    async def __call__(self, tenant_id: UUID, key_id: UUID) -> None:
        async with self._uow() as uow:
            if not await uow.tenants.revoke_managed_key(tenant_id, key_id, self._clock.now()):
                raise NotFoundError("api key", key_id)
            await uow.audit.record("api_key.revoke", "api_key", key_id)
            await uow.commit()
        await self._catalogue.changed_keys()
