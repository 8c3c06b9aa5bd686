"""Sign in with an email and a password."""

from __future__ import annotations

import math
from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.identity import PasswordHasher, SecurityEvents
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.identity.sessions import Session, SessionIssuer
from domain.errors import InvalidValueError
from domain.users import MAX_FAILURES, InvalidCredentialsError, LoginLockedError, User, normalize_email


@dataclass(frozen=True, slots=True)
class Login:
    tenant_id: UUID
    email: str
    password: str


class LoginHandler:
    """Rules:

    * every failure (unknown email, wrong password, a disabled user, an invitation not yet
      accepted, a password too long to be one) is the same ``InvalidCredentialsError``, and
      costs the same work: an unknown email is still verified, against a fixed hash;
    * failures are counted per user (tenant + email): from the 5th in a row the account is
      locked, for a minute doubling with each further failure up to an hour
      (``domain.users.User.failed_login``); while locked every sign-in, even with the right
      password, is ``LoginLockedError`` (429 with ``Retry-After``), checked before any hash;
    * a success clears the count and starts a new session family.

    The password is verified outside any transaction (it takes tens of milliseconds); the
    count is then updated under the user's row lock.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        sessions: SessionIssuer,
        clock: Clock,
        events: SecurityEvents,
    ) -> None:
        self._uow, self._hasher, self._sessions, self._clock, self._events = uow, hasher, sessions, clock, events

    async def __call__(self, command: Login) -> Session:
        try:
            email = normalize_email(command.email)
        except InvalidValueError:
            email = None
        user = await self._find(command.tenant_id, email)
        self._refuse_if_locked(user)
        if user is None or not user.can_sign_in() or user.password_hash is None:
            await self._hasher.verify_nothing(command.password)
            await self._failed(user)
            raise InvalidCredentialsError()
        if not await self._hasher.verify(user.password_hash, command.password):
            await self._failed(user)
            raise InvalidCredentialsError()
        async with self._uow() as uow:
            current = await uow.users.get(user.tenant_id, user.id, lock=True)
            self._refuse_if_locked(current)  # another failure locked it meanwhile
            current.signed_in()
            await uow.users.save(current)
            session = await self._sessions.issue(uow, current)
            await uow.audit.record("session.login", "user", current.id, tenant_id=current.tenant_id)
            await uow.commit()
        return session

    async def _find(self, tenant_id: UUID, email: str | None) -> User | None:
        if email is None:
            return None
        async with self._uow() as uow:
            return await uow.users.by_email(tenant_id, email)

    def _refuse_if_locked(self, user: User | None) -> None:
        left = None if user is None else user.locked_for(self._clock.now())
        if left is not None:
            raise LoginLockedError(max(1, math.ceil(left.total_seconds())))

    async def _failed(self, user: User | None) -> None:
        if user is None:
            return
        async with self._uow() as uow:
            current = await uow.users.get(user.tenant_id, user.id, lock=True)
            current.failed_login(self._clock.now())
            await uow.users.save(current)
            await uow.commit()
        if current.failed_logins >= MAX_FAILURES:
            self._events.record(
                "security.login_locked",
                current.tenant_id,
                current.id,
                failures=str(current.failed_logins),
                until=str(current.locked_until),
            )
