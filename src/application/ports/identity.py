"""Ports of sign-in: password hashing, access tokens, and where security events go (users and
refresh tokens are repositories of the unit of work: ``application.ports.repositories``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.sessions import AccessClaims
from domain.users import User


class PasswordHasher(Protocol):
    """A slow, salted password hash (argon2id). Hashing and verifying take tens of
    milliseconds of CPU on purpose: adapters run them off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; False (never an error) for a malformed hash."""
        ...

    async def verify_nothing(self, password: str) -> None:
        """The work of one verify against a fixed hash: an unknown email costs what a known one
        does, so timing does not tell them apart."""
        ...


class AccessTokens(Protocol):
    """Short-lived signed access tokens (JWT). Verification is pure CPU: no I/O, so the hot
    path can afford it on every request."""

    lifetime_seconds: int

    def issue(self, user: User, now: datetime) -> str: ...

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """The claims of a token signed by a listed key and not expired at ``now``;
        ``AccessTokenInvalidError`` or ``AccessTokenExpiredError`` otherwise."""
        ...


class SecurityEvents(Protocol):
    """Where security events go (a log line today; the audit log records them too). ``event``
    is a dotted name such as ``security.refresh_token_reuse``."""

    def record(self, event: str, tenant_id: UUID, user_id: UUID | None, **detail: str) -> None: ...
