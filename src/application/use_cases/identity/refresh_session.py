"""Renew a session: a refresh token for a new access token and the next refresh token."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.identity import SecurityEvents
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.identity.sessions import Session, SessionIssuer, secret_hash
from domain.errors import NotFoundError
from domain.sessions import RefreshState
from domain.users import InvalidTokenError

MAX_TOKEN_LENGTH = 200


class RefreshSessionHandler:
    """Rules:

    * an active refresh token is used up and the next one of its family issued (rotation);
    * a token presented again after it was used is reuse: its whole family is revoked (the
      newest token too, whoever holds it), the event ``security.refresh_token_reuse`` is
      recorded, and the answer is ``InvalidTokenError``;
    * an unknown, revoked or expired token, or one of a user since disabled, is
      ``InvalidTokenError`` (a disabled user's family is revoked as well).
    """

    def __init__(self, uow: UnitOfWorkFactory, sessions: SessionIssuer, clock: Clock, events: SecurityEvents) -> None:
        self._uow, self._sessions, self._clock, self._events = uow, sessions, clock, events

    async def __call__(self, refresh_token: str) -> Session:
        if not refresh_token or len(refresh_token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("refresh token")
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.refresh_tokens.by_hash(secret_hash(refresh_token))
            if token is None:
                raise InvalidTokenError("refresh token")
            state = token.state(now)
            if state is RefreshState.USED or (
                state is RefreshState.ACTIVE and not await uow.refresh_tokens.use(token.id, now)
            ):
                await uow.refresh_tokens.revoke_family(token.family_id, now)
                # A security event: someone replayed a used refresh token (stolen, or a client bug).
                after = {"family_id": token.family_id}
                action = "security.refresh_token_reuse"
                await uow.audit.record(action, "user", token.user_id, after=after, tenant_id=token.tenant_id)
                await uow.commit()
                self._events.record(
                    "security.refresh_token_reuse", token.tenant_id, token.user_id, family_id=str(token.family_id)
                )
                raise InvalidTokenError("refresh token")
            if state is not RefreshState.ACTIVE:
                raise InvalidTokenError("refresh token")
            try:
                user = await uow.users.get(token.tenant_id, token.user_id)
            except NotFoundError:
                user = None
            if user is None or not user.can_sign_in():
                await uow.refresh_tokens.revoke_family(token.family_id, now)
                await uow.commit()
                raise InvalidTokenError("refresh token")
            session = await self._sessions.issue(uow, user, token.family_id)
            await uow.commit()
        return session
