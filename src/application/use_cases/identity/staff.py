"""Staff: invited by an admin, listed, disabled."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import Page, PageRequest, UnitOfWorkFactory
from application.use_cases.identity.sessions import INVITATION_PREFIX, new_secret, secret_hash
from domain.errors import NotFoundError
from domain.roles import Role
from domain.users import User, check_name, normalize_email


@dataclass(frozen=True, slots=True)
class InviteStaff:
    tenant_id: UUID
    email: str
    name: str
    role: Role

    def __post_init__(self) -> None:
        normalize_email(self.email), check_name(self.name)


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    token: str  # shown once: only its hash is kept


class InviteStaffHandler:
    """Rules: any role but customer; the email is unique in the tenant (``DuplicateError``);
    the invitation token is shown once, kept hashed, and lasts 72 hours
    (``domain.users.INVITATION_LIFETIME``). The user cannot sign in until it is accepted."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, command: InviteStaff) -> Invitation:
        token = new_secret(INVITATION_PREFIX)
        user = User.invited(
            self._ids.new_id(),
            command.tenant_id,
            command.email,
            command.name,
            command.role,
            secret_hash(token),
            self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.users.add(user)
            after = {"email": user.email, "name": user.name, "role": user.role.value}  # never the token
            await uow.audit.record("user.invite", "user", user.id, after=after)
            await uow.commit()
        return Invitation(user, token)


class ListStaffHandler:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, page: PageRequest) -> Page[User]:
        async with self._uow() as uow:
            return await uow.users.staff(tenant_id, page)


class DisableStaffHandler:
    """Disables a staff member (a customer's id is not found here) and revokes every session
    family of theirs at once: they cannot refresh. An access token already issued lasts until
    its ``exp`` (the access-token lifetime, 15 minutes by default), since access tokens are
    checked without a database. Disabling twice is harmless."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, tenant_id: UUID, user_id: UUID) -> User:
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(tenant_id, user_id, lock=True)
            if not user.is_staff:
                raise NotFoundError("staff member", user_id)
            user.disable(now)
            await uow.users.save(user)
            await uow.refresh_tokens.revoke_user(user.id, now)
            await uow.audit.record("user.disable", "user", user.id, after={"disabled_at": now})
            await uow.commit()
        return user
