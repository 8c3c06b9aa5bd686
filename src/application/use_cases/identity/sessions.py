"""What every sign-in hands out: an access token and the next refresh token of a family."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.identity import AccessTokens
from application.ports.ids import IdGenerator
from application.ports.repositories import UnitOfWork
from application.use_cases.register_tenant import hash_key
from domain.sessions import RefreshToken
from domain.users import User

REFRESH_PREFIX = "hfr_"
INVITATION_PREFIX = "hfi_"


def new_secret(prefix: str) -> str:
    """An opaque token of 256 random bits, prefixed with what it is (secret scanners know it)."""
    return prefix + secrets.token_urlsafe(32)


def secret_hash(token: str) -> str:
    """What is stored of an opaque token: 256 random bits need no slow hash (as API keys)."""
    return hash_key(token)


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    access_token: str
    expires_in: int  # seconds the access token lasts
    refresh_token: str
    refresh_expires_at: datetime


class SessionIssuer:
    """Issues an access token and a refresh token, in the caller's unit of work (which commits)."""

    def __init__(self, tokens: AccessTokens, clock: Clock, ids: IdGenerator, refresh_lifetime: timedelta) -> None:
        self._tokens, self._clock, self._ids, self._lifetime = tokens, clock, ids, refresh_lifetime

    async def issue(self, uow: UnitOfWork, user: User, family_id: UUID | None = None) -> Session:
        """A new family unless ``family_id`` names the one being rotated."""
        now = self._clock.now()
        refresh = new_secret(REFRESH_PREFIX)
        token_id = self._ids.new_id()
        expires = now + self._lifetime
        record = RefreshToken(
            token_id, family_id or token_id, user.id, user.tenant_id, secret_hash(refresh), now, expires
        )
        await uow.refresh_tokens.add(record)
        return Session(user, self._tokens.issue(user, now), self._tokens.lifetime_seconds, refresh, expires)
