"""People of the operators' tenant: made from the command line, signed in to the console.

The console (``/console``, interfaces/web) shows what ``/v1/ops`` shows: every tenant's jobs,
webhooks and reconciliations. Its people are the **admins of one tenant**, the operators' own
(``HOLDFAST_CONSOLE_TENANT``, "operator" by default): an admin of any other tenant administers
only that tenant and never signs in here.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.errors import ForbiddenError
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.identity.accept_invitation import AcceptInvitation, AcceptInvitationHandler
from application.use_cases.identity.login import Login, LoginHandler
from application.use_cases.identity.logout import LogoutHandler
from application.use_cases.identity.sessions import Session
from application.use_cases.identity.staff import InviteStaff, InviteStaffHandler
from domain.errors import NotFoundError
from domain.identity import Actor
from domain.roles import Role
from domain.tenants import Tenant
from domain.users import InvalidCredentialsError, User


@dataclass(frozen=True, slots=True)
class CreateUser:
    tenant_name: str
    email: str
    name: str
    role: Role
    password: str


class CreateUserHandler:
    """Rules: a staff user of an existing tenant (``NotFoundError`` otherwise), made as an
    invitation accepted at once, so the invitation's rules (roles, unique email, password
    rules, audit rows) are the only ones: ``holdfast create-user`` is how an operator, who has
    a key but no user yet, gets into the console."""

    def __init__(self, uow: UnitOfWorkFactory, invite: InviteStaffHandler, accept: AcceptInvitationHandler) -> None:
        self._uow, self._invite, self._accept = uow, invite, accept

    async def __call__(self, command: CreateUser) -> User:
        tenant = await _tenant_named(self._uow, command.tenant_name)
        invitation = await self._invite(InviteStaff(tenant.id, command.email, command.name, command.role))
        session = await self._accept(AcceptInvitation(invitation.token, command.password))
        return session.user


@dataclass(frozen=True, slots=True)
class ConsoleSignIn:
    email: str
    password: str


class ConsoleSignInHandler:
    """Rules: ``POST /v1/auth/login``'s rules (``LoginHandler``: failures, locks) in the console
    tenant; an unknown console tenant is the same ``InvalidCredentialsError`` as a wrong
    password. A user who signs in but is not an admin is ``ForbiddenError``, and the session
    just made is ended at once (no refresh token of it stays usable)."""

    def __init__(self, uow: UnitOfWorkFactory, login: LoginHandler, logout: LogoutHandler, tenant_name: str) -> None:
        self._uow, self._login, self._logout, self._tenant_name = uow, login, logout, tenant_name

    async def __call__(self, command: ConsoleSignIn) -> Session:
        try:
            tenant = await _tenant_named(self._uow, self._tenant_name)
        except NotFoundError:
            raise InvalidCredentialsError() from None
        session = await self._login(Login(tenant.id, command.email, command.password))
        if session.user.role is not Role.ADMIN:
            await self._logout(session.refresh_token)
            raise ForbiddenError("the console is for the operators' admins")
        return session

    def admits(self, actor: Actor) -> bool:
        """Whether an authenticated actor (from an access token) may use the console."""
        return actor.user_id is not None and actor.role is Role.ADMIN and actor.tenant.name == self._tenant_name


async def _tenant_named(uow_factory: UnitOfWorkFactory, name: str) -> Tenant:
    async with uow_factory() as uow:
        tenant = await uow.tenants.find_by_name(name)
    if tenant is None:
        raise NotFoundError("tenant", name)
    return tenant
