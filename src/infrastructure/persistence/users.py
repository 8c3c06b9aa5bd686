"""Users and refresh tokens in the system of record."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.repositories import Page, PageRequest
from domain.errors import NotFoundError
from domain.roles import Role
from domain.sessions import RefreshToken
from domain.users import User
from infrastructure.persistence.identity_tables import refresh_tokens, users
from infrastructure.persistence.repositories import _insert, _locked, _page_of, _paged

_USER_FIELDS = (
    "id",
    "tenant_id",
    "email",
    "name",
    "role",
    "created_at",
    "password_hash",
    "disabled_at",
    "failed_logins",
    "locked_until",
    "invitation_hash",
    "invitation_expires_at",
)


def _user(row: Any) -> User:
    values = {name: getattr(row, name) for name in _USER_FIELDS}
    return User(**{**values, "role": Role(row.role)})


def _user_values(user: User) -> dict[str, Any]:
    values = {name: getattr(user, name) for name in _USER_FIELDS}
    return {**values, "role": user.role.value}


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        await _insert(self._session, users, _user_values(user), f"a user with email {user.email!r} exists")

    async def get(self, tenant_id: UUID, user_id: UUID, *, lock: bool = False) -> User:
        statement = select(users).where(users.c.tenant_id == tenant_id, users.c.id == user_id)
        row = (await self._session.execute(_locked(statement, users) if lock else statement)).first()
        if row is None:
            raise NotFoundError("user", user_id)
        return _user(row)

    async def by_email(self, tenant_id: UUID, email: str, *, lock: bool = False) -> User | None:
        statement = select(users).where(users.c.tenant_id == tenant_id, users.c.email == email)
        row = (await self._session.execute(_locked(statement, users) if lock else statement)).first()
        return None if row is None else _user(row)

    async def by_invitation(self, invitation_hash: str) -> User | None:
        row = (await self._session.execute(select(users).where(users.c.invitation_hash == invitation_hash))).first()
        return None if row is None else _user(row)

    async def staff(self, tenant_id: UUID, page: PageRequest) -> Page[User]:
        statement = select(users).where(users.c.tenant_id == tenant_id, users.c.role != Role.CUSTOMER.value)
        rows = (await self._session.execute(_paged(statement, users, page))).all()
        return _page_of([_user(row) for row in rows], page.limit)

    async def save(self, user: User) -> None:
        values = _user_values(user)
        await self._session.execute(update(users).where(users.c.id == user.id).values(**values))


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshToken) -> None:
        values = {
            "id": token.id,
            "family_id": token.family_id,
            "user_id": token.user_id,
            "tenant_id": token.tenant_id,
            "token_hash": token.token_hash,
            "created_at": token.created_at,
            "expires_at": token.expires_at,
            "used_at": token.used_at,
            "revoked_at": token.revoked_at,
        }
        await _insert(self._session, refresh_tokens, values, "refresh token exists")

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        statement = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        row = (await self._session.execute(statement)).first()
        if row is None:
            return None
        return RefreshToken(
            row.id,
            row.family_id,
            row.user_id,
            row.tenant_id,
            row.token_hash,
            row.created_at,
            row.expires_at,
            row.used_at,
            row.revoked_at,
        )

    async def use(self, token_id: UUID, now: datetime) -> bool:
        statement = (
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
            .where(refresh_tokens.c.revoked_at.is_(None))
            .values(used_at=now)
        )
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_family(self, family_id: UUID, now: datetime) -> None:
        await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: UUID, now: datetime) -> None:
        await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
