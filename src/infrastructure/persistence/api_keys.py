"""API keys as principals: which tenant a key speaks for, and with which scopes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.repositories import Principal
from domain.tenants import Tenant
from infrastructure.persistence.tables import api_keys, tenants


def key_active_at(now: datetime) -> ColumnElement[bool]:
    """The SQL form of ``KeyHolder.active_at``: not revoked, or revoked from a later instant (a
    rotation's grace period). Every query that authenticates a key filters with this."""
    return or_(api_keys.c.revoked_at.is_(None), api_keys.c.revoked_at > now)


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
