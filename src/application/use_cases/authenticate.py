"""Find who an API key speaks for: its tenant, and the role it acts in."""

from __future__ import annotations

from application.errors import UnauthenticatedError
from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.use_cases.register_tenant import hash_key
from domain.identity import Actor

MAX_KEY_LENGTH = 200


class AuthenticateHandler:
    """A key authenticates its tenant, in the key's role, while it is active; anything else is unauthenticated.

    Keys are read through the catalogue cache: a revoked key stops working within its bound
    (``application.ports.catalogue``), and with the Redis engine no request reads the database.
    A key rotated with a grace period stops at its deadline, on this clock.
    """

    def __init__(self, catalogue: CatalogueCache, clock: Clock) -> None:
        self._catalogue, self._clock = catalogue, clock

    async def __call__(self, api_key: str | None) -> Actor:
        if not api_key or len(api_key) > MAX_KEY_LENGTH:
            raise UnauthenticatedError("a valid X-API-Key header is required")
        holder = await self._catalogue.holder_for_key(hash_key(api_key), self._clock.now())
        if holder is None or holder.key_id is None:
            raise UnauthenticatedError("a valid X-API-Key header is required")
        return Actor.of_key(holder.tenant, holder.key_id, holder.role)
