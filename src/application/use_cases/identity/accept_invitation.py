"""A staff member accepts an invitation: sets a password and is signed in."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.identity import PasswordHasher
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.identity.refresh_session import MAX_TOKEN_LENGTH
from application.use_cases.identity.sessions import Session, SessionIssuer, secret_hash
from domain.users import InvalidTokenError, check_password


@dataclass(frozen=True, slots=True)
class AcceptInvitation:
    token: str
    password: str

    def __post_init__(self) -> None:
        check_password(self.password)


class AcceptInvitationHandler:
    """Rules: the token is single use and lasts 72 hours; an unknown, used or expired one, or
    one of a user disabled since, is ``InvalidTokenError``. Accepting signs the user in."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, sessions: SessionIssuer, clock: Clock) -> None:
        self._uow, self._hasher, self._sessions, self._clock = uow, hasher, sessions, clock

    async def __call__(self, command: AcceptInvitation) -> Session:
        if not command.token or len(command.token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("invitation")
        token_hash = secret_hash(command.token)
        password_hash = await self._hasher.hash(command.password)  # before the transaction: it is slow
        async with self._uow() as uow:
            found = await uow.users.by_invitation(token_hash)
            if found is None:
                raise InvalidTokenError("invitation")
            user = await uow.users.get(found.tenant_id, found.id, lock=True)
            if user.invitation_hash != token_hash:  # accepted meanwhile
                raise InvalidTokenError("invitation")
            user.accept_invitation(password_hash, self._clock.now())
            await uow.users.save(user)
            session = await self._sessions.issue(uow, user)
            await uow.audit.record("user.accept_invitation", "user", user.id, tenant_id=user.tenant_id)
            await uow.commit()
        return session
