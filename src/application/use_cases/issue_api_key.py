"""Issue another API key for an existing tenant (the CLI), in a role, e.g. an operator key."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import ApiKeyRecord, UnitOfWorkFactory
from application.use_cases.register_tenant import hash_key, new_key
from domain.errors import InvalidValueError, NotFoundError
from domain.roles import Role
from domain.tenants import key_role

MAX_SCOPES = 10


@dataclass(frozen=True, slots=True)
class IssueApiKey:
    tenant_name: str
    label: str
    scopes: tuple[str, ...] = ()
    role: Role = Role.ADMIN

    def __post_init__(self) -> None:
        if len(self.scopes) > MAX_SCOPES or not all(scope.isidentifier() for scope in self.scopes):
            raise InvalidValueError("scopes", f"at most {MAX_SCOPES} plain words")
        key_role(self.role)  # never customer: customers sign in as users


class IssueApiKeyHandler:
    """Adds a key with the given scopes, in the given role (any but customer), to a tenant; the
    plain key is returned once, stored hashed. The new key is announced to the catalogue cache
    once committed."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._ids, self._catalogue = uow, clock, ids, catalogue

    async def __call__(self, command: IssueApiKey) -> str:
        key = new_key()
        async with self._uow() as uow:
            tenant = await uow.tenants.find_by_name(command.tenant_name)
            if tenant is None:
                raise NotFoundError("tenant", command.tenant_name)
            record = ApiKeyRecord(
                self._ids.new_id(),
                tenant.id,
                hash_key(key),
                command.label,
                self._clock.now(),
                command.scopes,
                role=command.role,
            )
            await uow.tenants.add_key(record)
            after = {"label": record.label, "role": record.role, "scopes": list(record.scopes)}  # never the key
            await uow.audit.record("api_key.issue", "api_key", record.id, after=after, tenant_id=tenant.id)
            await uow.commit()
        await self._catalogue.changed_keys()
        return key
