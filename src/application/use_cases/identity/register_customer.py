"""Register a customer of a tenant."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.identity import PasswordHasher
from application.ports.ids import IdGenerator
from application.ports.repositories import UnitOfWorkFactory
from domain.users import User, check_name, check_password, normalize_email


@dataclass(frozen=True, slots=True)
class RegisterCustomer:
    tenant_id: UUID
    email: str
    password: str
    name: str

    def __post_init__(self) -> None:
        normalize_email(self.email), check_password(self.password), check_name(self.name)


class RegisterCustomerHandler:
    """Rules:

    * anyone may register as a customer of an existing tenant (an unknown tenant: ``NotFoundError``);
    * the email is unique in the tenant whatever its case (``DuplicateError``, 409: registration
      tells whether an address has an account, as every self-service sign-up must);
    * the password follows ``domain.users.check_password`` and only its argon2id hash is kept;
    * registering does not sign in: ``POST /v1/auth/login`` does.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, catalogue: CatalogueCache, hasher: PasswordHasher, clock: Clock, ids: IdGenerator
    ) -> None:
        self._uow, self._catalogue, self._hasher, self._clock, self._ids = uow, catalogue, hasher, clock, ids

    async def __call__(self, command: RegisterCustomer) -> User:
        await self._catalogue.tenant(command.tenant_id)  # NotFoundError before a costly hash
        password_hash = await self._hasher.hash(command.password)
        user = User.customer(
            self._ids.new_id(), command.tenant_id, command.email, command.name, password_hash, self._clock.now()
        )
        async with self._uow() as uow:
            await uow.users.add(user)
            after = {"email": user.email, "name": user.name, "role": user.role.value}
            await uow.audit.record("user.register", "user", user.id, after=after, tenant_id=user.tenant_id)
            await uow.commit()
        return user
