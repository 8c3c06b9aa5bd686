"""Find who a request speaks for: an API key's tenant and role, or a signed-in user's."""

from __future__ import annotations

from application.errors import UnauthenticatedError
from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.identity import AccessTokens
from application.use_cases.register_tenant import hash_key
from domain.errors import NotFoundError
from domain.identity import Actor
from domain.sessions import AccessTokenInvalidError

MAX_KEY_LENGTH = 200
MAX_TOKEN_LENGTH = 4096


class AuthenticateHandler:
    """A Bearer access token, when the request carries one, decides: a valid one is its user,
    in the token's tenant and role (``Actor`` with subject ``user:<id>``); an invalid or expired
    one is ``AccessTokenInvalidError`` / ``AccessTokenExpiredError`` (401), never a fall back to
    the key. Otherwise an API key authenticates its tenant, in the key's role, while it is
    active; anything else is unauthenticated.

    Neither reads the database per request: the token is verified on the CPU (its signature,
    ``kid`` and ``exp``, on this clock), and keys and tenants are read through the catalogue
    cache. A revoked key stops working within the cache's bound (``application.ports.catalogue``);
    a key rotated with a grace period stops at its deadline, on this clock. A disabled user's
    access token lasts until its ``exp``: that lifetime is the bound for users.
    """

    def __init__(self, catalogue: CatalogueCache, clock: Clock, tokens: AccessTokens) -> None:
        self._catalogue, self._clock, self._tokens = catalogue, clock, tokens

    async def __call__(self, api_key: str | None, bearer: str | None = None) -> Actor:
        if bearer is not None:
            return await self._user(bearer)
        if not api_key or len(api_key) > MAX_KEY_LENGTH:
            raise UnauthenticatedError("a valid X-API-Key header or Bearer token is required")
        holder = await self._catalogue.holder_for_key(hash_key(api_key), self._clock.now())
        if holder is None or holder.key_id is None:
            raise UnauthenticatedError("a valid X-API-Key header or Bearer token is required")
        return Actor.of_key(holder.tenant, holder.key_id, holder.role)

    async def _user(self, bearer: str) -> Actor:
        if len(bearer) > MAX_TOKEN_LENGTH:
            raise AccessTokenInvalidError()
        claims = self._tokens.verify(bearer, self._clock.now())
        try:
            tenant = await self._catalogue.tenant(claims.tenant_id)
        except NotFoundError:  # signed by us for a tenant that is gone
            raise AccessTokenInvalidError() from None
        return Actor(tenant, claims.role, claims.subject, claims.user_id)
