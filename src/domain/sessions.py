"""Sessions: an access token's claims, and the refresh tokens that renew it.

A sign-in starts a *family* of refresh tokens. Each refresh uses its token up and issues the
next of the same family. A token presented again after it was used means two parties hold it
(a thief and its owner): the whole family is revoked, so the newest token stops working too,
and both must sign in again (reuse detection, as OAuth 2.0 Security BCP section 4.14 describes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.errors import DomainError
from domain.roles import Role

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=7)


class AccessTokenInvalidError(DomainError):
    """A Bearer token that is not one of ours: malformed, badly signed, or signed with a key
    (``kid``) no longer listed."""

    code = "invalid_access_token"

    def __init__(self) -> None:
        super().__init__("the Bearer token is not valid")


class AccessTokenExpiredError(DomainError):
    """A Bearer token past its ``exp``: refresh the session (``POST /v1/auth/refresh``)."""

    code = "access_token_expired"

    def __init__(self) -> None:
        super().__init__("the Bearer token has expired; refresh it")


class RefreshState(StrEnum):
    ACTIVE = "active"
    USED = "used"  # rotated: presenting it again is reuse
    REVOKED = "revoked"  # its family was ended (logout, reuse, a disabled user, a password change)
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says: whose it is, in which tenant and role, until when."""

    user_id: UUID
    tenant_id: UUID
    role: Role
    issued_at: datetime
    expires_at: datetime
    token_id: UUID

    @property
    def subject(self) -> str:
        return f"user:{self.user_id}"


@dataclass(frozen=True, slots=True)
class RefreshToken:
    id: UUID
    family_id: UUID
    user_id: UUID
    tenant_id: UUID
    token_hash: str  # SHA-256 of the opaque token, which is never stored
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def state(self, now: datetime) -> RefreshState:
        if self.revoked_at is not None:
            return RefreshState.REVOKED
        if self.used_at is not None:
            return RefreshState.USED
        return RefreshState.ACTIVE if now < self.expires_at else RefreshState.EXPIRED
