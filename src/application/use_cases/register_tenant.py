"""Register a tenant and issue its first API key."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import ApiKeyRecord, UnitOfWorkFactory
from domain.errors import DuplicateError
from domain.tenants import Tenant
from domain.text import check_line

KEY_PREFIX = "hf_"


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class RegisterTenant:
    name: str
    key_label: str = "default"
    api_key: str | None = None  # a chosen key (demo data); a random one otherwise

    def __post_init__(self) -> None:
        check_line("name", self.name)
        check_line("key_label", self.key_label)


@dataclass(frozen=True, slots=True)
class RegisteredTenant:
    tenant: Tenant
    api_key: str


class RegisterTenantHandler:
    """Creates the tenant and one API key; the plain key is shown once and stored only hashed.

    Tenant names are unique. The new key is announced to the catalogue cache once committed.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._ids, self._catalogue = uow, clock, ids, catalogue

    async def __call__(self, command: RegisterTenant) -> RegisteredTenant:
        now = self._clock.now()
        tenant = Tenant(self._ids.new_id(), command.name, now)
        key = command.api_key or new_key()
        async with self._uow() as uow:
            if await uow.tenants.find_by_name(command.name) is not None:
                raise DuplicateError(f"tenant {command.name!r} exists")
            await uow.tenants.add(tenant)
            first = ApiKeyRecord(self._ids.new_id(), tenant.id, hash_key(key), command.key_label, now)
            await uow.tenants.add_key(first)
            after = {"tenant_name": tenant.name, "first_key_id": first.id}
            await uow.audit.record("tenant.register", "tenant", tenant.id, after=after, tenant_id=tenant.id)
            await uow.commit()
        await self._catalogue.changed_keys()
        return RegisteredTenant(tenant, key)
