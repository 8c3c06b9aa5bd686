"""The hot path's view of the catalogue: API keys, tenants, and a listing with its pools.

Placing a hold needs three facts from the system of record: whose key this is, the listing's
rules (hold TTL, per-customer limit) and its pools (membership, unit prices). With the Redis
and sql engines they are read from a per-process cache, so that a hold touches Redis alone, or
is the sql engine's one transaction; with the memory engine every read goes to the database.

Rules every adapter keeps:

* a key, listing or pool change is seen by every process within the adapter's stated bound
  (``RedisCatalogueCache``: the pub/sub message, at the latest its ``max_age``;
  ``SqlCatalogueCache``: its ``check_every``); in the process that made it, at once;
* every write that changes what these reads return calls ``changed_keys`` or
  ``changed_listing`` after its unit of work has committed (so a process that reloads on
  the message sees the change);
* a listing that is not found is never remembered: creating a listing needs no message;
* an unknown key never costs a database query per request: an adapter that caches keys
  caches the absence of a key too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.listings import Listing, Pool
from domain.tenants import KeyHolder, Tenant


@dataclass(frozen=True, slots=True)
class ListingCatalogue:
    """A listing and its pools by id, as the catalogue had them when read."""

    listing: Listing
    pools: Mapping[UUID, Pool]


class CatalogueCache(Protocol):
    async def holder_for_key(self, key_hash: str, now: datetime) -> KeyHolder | None:
        """The key's holder (its tenant, id and role) if the key is active at ``now``, None for
        any other key. A key's ends (its
        ``revoked_at``, a grace period's deadline, its ``expires_at``) are kept with it and compared with ``now`` on
        every read: it takes effect at that instant in every process that has the key's
        current row, with no message (a process still holding an older copy of the directory
        follows within the bound above)."""
        ...

    async def listing(self, tenant_id: UUID, listing_id: UUID) -> ListingCatalogue:
        """The tenant's listing and its pools; ``NotFoundError`` for another tenant's or none."""
        ...

    async def tenant(self, tenant_id: UUID) -> Tenant:
        """The tenant (a signed-in user's, named by its access token); ``NotFoundError`` for
        none. Tenants do not change once registered, so an adapter may keep them under the
        same bound as listings; an unknown one is never remembered."""
        ...

    async def changed_keys(self) -> None:
        """A key was issued or revoked (committed): forget every cached key."""
        ...

    async def changed_listing(self, listing_id: UUID) -> None:
        """The listing or one of its pools changed (committed): forget it."""
        ...
