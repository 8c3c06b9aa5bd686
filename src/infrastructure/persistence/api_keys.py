"""API keys as principals (which tenant a key speaks for, with which scopes), and a tenant's
own keys as its admins manage them (``/v1/api-keys``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.repositories import ApiKeyRecord, Principal
from domain.roles import Role
from domain.tenants import Tenant
from infrastructure.persistence.tables import api_keys, tenants


def key_active_at(now: datetime) -> ColumnElement[bool]:
    """The SQL form of ``KeyHolder.active_at``: not revoked, or revoked from a later instant (a
    rotation's grace period), and not expired by ``now``. Every query that authenticates a key
    filters with this."""
    return and_(
        or_(api_keys.c.revoked_at.is_(None), api_keys.c.revoked_at > now),
        or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > now),
    )


def key_record(row: Any) -> ApiKeyRecord:
    scopes = tuple(row.scopes or ())
    return ApiKeyRecord(
        row.id,
        row.tenant_id,
        row.key_hash,
        row.label,
        row.created_at,
        scopes,
        row.revoked_at,
        Role(row.role),
        row.expires_at,
    )


def managed_key_of(tenant_id: UUID, now: datetime) -> ColumnElement[bool]:
    """The tenant's active keys without a scope: a scoped key (an operator key) is ops' business,
    issued and ended with the CLI, and never seen through the tenant's API. Scopes are stored as
    a JSON list, ``[]`` for none, on SQLite and Postgres alike."""
    return and_(api_keys.c.tenant_id == tenant_id, cast(api_keys.c.scopes, String) == "[]", key_active_at(now))


class SqlApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def principal_for_key(self, key_hash: str, now: datetime) -> Principal | None:
        statement = (
            select(tenants, api_keys.c.scopes)
            .join(api_keys, api_keys.c.tenant_id == tenants.c.id)
            .where(api_keys.c.key_hash == key_hash, key_active_at(now))
        )
        row = (await self._session.execute(statement)).first()
        if row is None:
            return None
        return Principal(Tenant(row.id, row.name, row.created_at), frozenset(row.scopes or ()))
