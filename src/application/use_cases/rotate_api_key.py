"""Rotate an API key: a new key for the same tenant and scopes, and the old one revoked."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import ApiKeyRecord, UnitOfWorkFactory
from application.use_cases.register_tenant import hash_key, new_key
from domain.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class RotateApiKey:
    api_key: str  # the plain key to replace: only its hash is stored, so nothing else names it
    keep_old: bool = False  # a grace period: the old key works until `revoke-key` is run for it


class RotateApiKeyHandler:
    """Rules:

    * only an active key can be rotated (``NotFoundError`` otherwise, as for revocation);
    * the new key speaks for the same tenant with the same scopes and label; the plain key is
      returned once and stored hashed;
    * the old key is revoked in the same transaction (clients switch at once), or, with
      ``keep_old``, left active for a grace period the operator ends with ``revoke-key``;
    * once committed, the change is announced to the catalogue cache: every process knows the
      new key, and refuses the old one, within the cache's bound.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._ids, self._catalogue = uow, clock, ids, catalogue

    async def __call__(self, command: RotateApiKey) -> str:
        key, now = new_key(), self._clock.now()
        async with self._uow() as uow:
            old = await uow.tenants.active_key(hash_key(command.api_key))
            if old is None:
                raise NotFoundError("api key", "given")
            await uow.tenants.add_key(
                ApiKeyRecord(self._ids.new_id(), old.tenant_id, hash_key(key), old.label, now, old.scopes)
            )
            if not command.keep_old:
                await uow.tenants.revoke_key(old.key_hash, now)
            await uow.commit()
        await self._catalogue.changed_keys()
        return key
