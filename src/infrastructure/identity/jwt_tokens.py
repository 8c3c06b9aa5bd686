"""Access tokens: HS256 JWTs signed with the first of several keys, each named by a ``kid``.

Rotation: list a new key first (it signs from then on) and keep the old one after it (tokens
it signed still verify); once they have run out (the access-token lifetime), drop it, and
its tokens fail. ``exp`` and ``iat`` are checked against the injected clock, not PyJWT's
``time.time()``, so tests move time with the fake clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jwt

from domain.errors import InvalidValueError
from domain.roles import Role
from domain.sessions import AccessClaims, AccessTokenExpiredError, AccessTokenInvalidError
from domain.users import User

ALGORITHM = "HS256"
# Tokens verified lately, by their exact text: a client sends its token with every request, and
# PyJWT's decode costs about 100 us where the rest of authentication costs 3 (a dict lookup).
# Only a token whose signature checked out is kept; its exp is still judged on every use. The
# keys are fixed for the life of the process, so a token kept never outlives its kid here.
MAX_VERIFIED = 16_384
_REQUIRED = ("sub", "tid", "role", "exp", "iat", "jti")
_LEEWAY = timedelta(seconds=0)


class PyJwtAccessTokens:
    def __init__(self, keys: Sequence[tuple[str, str]], lifetime: timedelta) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        self._signing_kid, self._signing_secret = keys[0]
        self._keys = dict(keys)
        self.lifetime_seconds = int(lifetime.total_seconds())
        self._verified: dict[str, AccessClaims] = {}

    def issue(self, user: User, now: datetime) -> str:
        issued = int(now.timestamp())
        claims = {
            "sub": str(user.id),
            "tid": str(user.tenant_id),
            "role": user.role.value,
            "iat": issued,
            "exp": issued + self.lifetime_seconds,
            "jti": str(uuid4()),
        }
        return jwt.encode(claims, self._signing_secret, algorithm=ALGORITHM, headers={"kid": self._signing_kid})

    def verify(self, token: str, now: datetime) -> AccessClaims:
        parsed = self._verified.get(token)
        if parsed is None:
            parsed = self._parse(token)
            if len(self._verified) >= MAX_VERIFIED:
                del self._verified[next(iter(self._verified))]  # the oldest kept
            self._verified[token] = parsed
        if now >= parsed.expires_at + _LEEWAY:
            raise AccessTokenExpiredError()
        return parsed

    def _parse(self, token: str) -> AccessClaims:
        claims = self._decode(token)
        try:
            parsed = AccessClaims(
                user_id=UUID(claims["sub"]),
                tenant_id=UUID(claims["tid"]),
                role=Role(claims["role"]),
                issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
                token_id=UUID(claims["jti"]),
            )
        except (KeyError, TypeError, ValueError, OverflowError, InvalidValueError):
            raise AccessTokenInvalidError() from None
        return parsed

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self._keys.get(kid) if isinstance(kid, str) else None
            if secret is None:
                raise AccessTokenInvalidError()
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": list(_REQUIRED)},
            )
        except jwt.PyJWTError:
            raise AccessTokenInvalidError() from None
        return claims
