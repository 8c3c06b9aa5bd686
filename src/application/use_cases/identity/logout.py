"""Sign out: end the refresh token's whole family."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.identity.refresh_session import MAX_TOKEN_LENGTH
from application.use_cases.identity.sessions import secret_hash


class LogoutHandler:
    """Revokes the family of the refresh token given (every device of that sign-in shares it).
    Harmless twice, and for a token that is unknown, expired or already revoked: there is
    nothing to end, and the answer does not tell tokens apart. Access tokens already issued
    stay valid until their ``exp`` (at most the access-token lifetime): they are checked with
    no database on purpose."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, refresh_token: str) -> None:
        if not refresh_token or len(refresh_token) > MAX_TOKEN_LENGTH:
            return
        async with self._uow() as uow:
            token = await uow.refresh_tokens.by_hash(secret_hash(refresh_token))
            if token is None:
                return
            await uow.refresh_tokens.revoke_family(token.family_id, self._clock.now())
            after = {"family_id": token.family_id}
            await uow.audit.record("session.logout", "user", token.user_id, after=after, tenant_id=token.tenant_id)
            await uow.commit()
