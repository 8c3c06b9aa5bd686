"""Rotate an API key: a new key for the same tenant and scopes, and the old one ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import ApiKeyRecord, UnitOfWorkFactory
from application.use_cases.register_tenant import hash_key, new_key
from domain.errors import InvalidValueError, NotFoundError
from domain.roles import Role

MAX_GRACE = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class RotateApiKey:
    api_key: str  # the plain key to replace: only its hash is stored, so nothing else names it
    keep_old: bool = False  # no end: the old key works until `revoke-key` is run for it
    grace: timedelta = timedelta(0)  # the old key works this long, then stops by itself

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.grace <= MAX_GRACE:
            raise InvalidValueError("grace", f"must be from 0 to {MAX_GRACE.days} days")
        if self.keep_old and self.grace:
            raise InvalidValueError("grace", "a grace period ends the old key: it cannot be kept as well")


@dataclass(frozen=True, slots=True)
class RotatedApiKey:
    key: str  # the new plain key, shown once
    old_key_ends: datetime | None  # when the old key stops working; None: kept until revoked
    role: Role = Role.ADMIN  # the role both keys act in


class RotateApiKeyHandler:
    """Rules:

    * only an active key can be rotated (``NotFoundError`` otherwise, as for revocation); a key
      in a grace period is active, and may be rotated again;
    * the new key speaks for the same tenant with the same scopes, label, role and expiry (a
      rotation renews the secret, not the key's life); the plain key is returned once and
      stored hashed;
    * the old key ends in the same transaction: at once (clients switch at once), ``grace``
      after now (it is revoked from that instant: every process refuses it from then on, on its
      own clock), or, with ``keep_old``, never by itself (the operator ends it with
      ``revoke-key``). An end already set earlier is kept: rotating never lengthens a grace
      (the result says when the old key ends);
    * once committed, the change is announced to the catalogue cache: every process knows the
      new key, and the old key's end, within the cache's bound.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._ids, self._catalogue = uow, clock, ids, catalogue

    async def __call__(self, command: RotateApiKey) -> RotatedApiKey:
        key, now = new_key(), self._clock.now()
        async with self._uow() as uow:
            old = await uow.tenants.active_key(hash_key(command.api_key), now)
            if old is None:
                raise NotFoundError("api key", "given")
            new = ApiKeyRecord(
                self._ids.new_id(),
                old.tenant_id,
                hash_key(key),
                old.label,
                now,
                old.scopes,
                role=old.role,
                expires_at=old.expires_at,  # rotating never lengthens a key's life
            )
            await uow.tenants.add_key(new)
            ends = old.revoked_at if command.keep_old else _earliest(old.revoked_at, now + command.grace)
            if ends is not None:
                await uow.tenants.revoke_key(old.key_hash, ends)
            after = {"new_key_id": new.id, "old_key_ends_at": ends}
            await uow.audit.record("api_key.rotate", "api_key", old.id, after=after, tenant_id=old.tenant_id)
            await uow.commit()
        await self._catalogue.changed_keys()
        return RotatedApiKey(key, ends, old.role)


def _earliest(current: datetime | None, asked: datetime) -> datetime:
    return asked if current is None else min(current, asked)
