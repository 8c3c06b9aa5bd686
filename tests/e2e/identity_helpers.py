"""Builders for the sign-in tests: cheap argon2 parameters, customers, staff, Bearer clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dependency_injector import providers

from infrastructure.identity.passwords import Argon2PasswordHasher
from tests.e2e.conftest import World

PASSWORD = "correct horse battery"
# argon2id still, with the smallest cost: the rules under test are not the hash's strength.
CHEAP_HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=64)


def cheap_hashing(world: World) -> None:
    world.container.gateways.password_hasher.override(providers.Object(CHEAP_HASHER))


async def tenant_id(world: World, key: str | None = None) -> str:
    actor = await world.container.use_cases.authenticate()(key or world.api.key)
    return str(actor.tenant.id)


@dataclass
class Person:
    """A signed-in user, as a client holding their tokens."""

    world: World
    user: dict[str, Any]
    access: str
    refresh: str

    @property
    def id(self) -> str:
        return str(self.user["id"])

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}", **(extra or {})}

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.world.client.get(path, headers=self.headers(kw.pop("headers", None)), **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return await self.world.client.post(path, json=body, headers=self.headers(kw.pop("headers", None)), **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return await self.world.client.patch(path, json=body, headers=self.headers(kw.pop("headers", None)), **kw)

    async def delete(self, path: str, **kw: Any) -> Any:
        return await self.world.client.delete(path, headers=self.headers(kw.pop("headers", None)), **kw)


def person(world: World, session: dict[str, Any]) -> Person:
    return Person(world, session["user"], session["access_token"], session["refresh_token"])


async def login(world: World, tenant: str, email: str, password: str = PASSWORD) -> Any:
    body = {"tenant_id": tenant, "email": email, "password": password}
    return await world.client.post("/v1/auth/login", json=body)


async def customer(world: World, email: str, tenant: str | None = None, name: str = "Ada") -> Person:
    """A customer registered with acme (or ``tenant``) and signed in."""
    tenant = tenant or await tenant_id(world)
    body = {"tenant_id": tenant, "email": email, "password": PASSWORD, "name": name}
    registered = await world.client.post("/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    signed_in = await login(world, tenant, email)
    assert signed_in.status_code == 200, signed_in.text
    return person(world, signed_in.json())


async def staff(world: World, email: str, role: str = "staff") -> Person:
    """A staff member of acme, invited with acme's (admin) API key, signed in by accepting."""
    invited = await world.api.post("/v1/staff", {"email": email, "name": "Sam", "role": role})
    assert invited.status_code == 201, invited.text
    body = {"token": invited.json()["invitation_token"], "password": PASSWORD}
    accepted = await world.client.post("/v1/auth/accept-invitation", json=body)
    assert accepted.status_code == 200, accepted.text
    return person(world, accepted.json())


async def refresh(world: World, token: str) -> Any:
    return await world.client.post("/v1/auth/refresh", json={"refresh_token": token})
