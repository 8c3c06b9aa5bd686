"""A tenant's admin makes an API key for its own tenant, in a role, with an optional end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import ApiKeyRecord, UnitOfWorkFactory
from application.use_cases.register_tenant import hash_key, new_key
from domain.errors import InvalidValueError
from domain.roles import Role
from domain.tenants import key_role
from domain.text import check_line

MAX_LABEL_LENGTH = 100


@dataclass(frozen=True, slots=True)
class CreateApiKey:
    tenant_id: UUID
    label: str
    role: Role
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        check_line("label", self.label)
        if not self.label.strip() or len(self.label) > MAX_LABEL_LENGTH:
            raise InvalidValueError("label", f"must be 1 to {MAX_LABEL_LENGTH} characters")
        key_role(self.role)


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    record: ApiKeyRecord
    key: str  # the plain key: shown once, never stored


class CreateApiKeyHandler:
    """Rules:

    * the key speaks for the caller's own tenant, in the role asked for: any role but
      ``customer`` (``CustomerKeyError``: customers sign in as users); an admin may make
      another admin key;
    * it never carries a scope: operator keys are issued by ops (``holdfast create-operator-key``);
    * ``expires_at``, if given, must be later than now; the key authenticates strictly before it,
      in every process, with no message (``KeyHolder.active_at``);
    * the plain key is returned once and stored hashed; once committed, the key is announced to
      the catalogue cache.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._ids, self._catalogue = uow, clock, ids, catalogue

    async def __call__(self, command: CreateApiKey) -> CreatedApiKey:
        now, key = self._clock.now(), new_key()
        if command.expires_at is not None and command.expires_at <= now:
            raise InvalidValueError("expires_at", "must be in the future")
        record = ApiKeyRecord(
            self._ids.new_id(),
            command.tenant_id,
            hash_key(key),
            command.label,
            now,
            role=command.role,
            expires_at=command.expires_at,
        )
        async with self._uow() as uow:
            await uow.tenants.add_key(record)
            after = {"label": record.label, "role": record.role.value, "expires_at": record.expires_at}
            await uow.audit.record("api_key.create", "api_key", record.id, after=after)
            await uow.commit()
        await self._catalogue.changed_keys()
        return CreatedApiKey(record, key)
