"""A signed-in user reads and changes their own account."""

from __future__ import annotations

from dataclasses import dataclass

from application.errors import ForbiddenError
from application.ports.clock import Clock
from application.ports.identity import PasswordHasher
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import InvalidValueError
from domain.identity import Actor
from domain.users import User, WrongCurrentPasswordError, check_name, check_password


def user_of(actor: Actor) -> None:
    """Only a signed-in user has an account to read: an API key is ``ForbiddenError``."""
    if actor.user_id is None:
        raise ForbiddenError("this route is for signed-in users (a Bearer token), not API keys")


class GetMeHandler:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor) -> User:
        user_of(actor)
        assert actor.user_id is not None
        async with self._uow() as uow:
            return await uow.users.get(actor.tenant.id, actor.user_id)


@dataclass(frozen=True, slots=True)
class UpdateMe:
    name: str | None = None
    password: str | None = None
    current_password: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None:
            check_name(self.name)
        if self.password is not None:
            check_password(self.password)
            if self.current_password is None:
                raise InvalidValueError("current_password", "is required to change the password")


class UpdateMeHandler:
    """Rules: the name may change; the password only with the current one
    (``WrongCurrentPasswordError`` otherwise), and changing it ends every session family of
    the user (other devices sign in again; access tokens already issued run out on their own)."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow, self._hasher, self._clock = uow, hasher, clock

    async def __call__(self, actor: Actor, command: UpdateMe) -> User:
        user_of(actor)
        assert actor.user_id is not None
        new_hash = None
        if command.password is not None:
            async with self._uow() as uow:
                user = await uow.users.get(actor.tenant.id, actor.user_id)
            current = command.current_password or ""
            if user.password_hash is None or not await self._hasher.verify(user.password_hash, current):
                raise WrongCurrentPasswordError()
            new_hash = await self._hasher.hash(command.password)
        async with self._uow() as uow:
            user = await uow.users.get(actor.tenant.id, actor.user_id, lock=True)
            user.change(command.name, new_hash)
            await uow.users.save(user)
            if new_hash is not None:
                await uow.refresh_tokens.revoke_user(user.id, self._clock.now())
            after = {"name": user.name, "password_changed": new_hash is not None}  # never a hash
            await uow.audit.record("user.update", "user", user.id, after=after)
            await uow.commit()
        return user
