"""Revoke an API key: it stops authenticating anything."""

from __future__ import annotations

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.register_tenant import hash_key
from domain.errors import NotFoundError


class RevokeApiKeyHandler:
    """Rules:

    * only an active key can be revoked; an unknown or already revoked key is ``NotFoundError``
      (the plain key is given: only its hash is stored, so nothing else names it yet);
    * the revocation is committed first, then announced to the catalogue cache: every process
      refuses the key within the cache's bound (``application.ports.catalogue``).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._catalogue = uow, clock, catalogue

    async def __call__(self, api_key: str) -> None:
        async with self._uow() as uow:
            now = self._clock.now()
            key = await uow.tenants.active_key(hash_key(api_key), now)
            if key is None or not await uow.tenants.revoke_key(key.key_hash, now):
                raise NotFoundError("api key", "given")
            await uow.audit.record(
                "api_key.revoke", "api_key", key.id, after={"revoked_at": now}, tenant_id=key.tenant_id
            )
            await uow.commit()
        await self._catalogue.changed_keys()
