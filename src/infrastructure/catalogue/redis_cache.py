"""The catalogue cached in each process, kept correct by Redis pub/sub (the ``redis`` engine).

What is cached: the directory of every active API key (hash -> tenant, role, and the key's ends
when a rotation's grace period or an expiry set one: checked on each read), and listings with their
pools, by listing id (at most ``max_listings``, the oldest forgotten first). A hold then reads
no database at all: authentication, the listing's TTL and per-customer limit, pool membership
and unit prices all come from memory; capacity and counts were always Redis's (the Lua scripts).

The bound. Every write that changes these (issuing, revoking a key; creating, resizing a pool)
calls ``changed_keys`` / ``changed_listing`` after its commit: the writing process forgets at
once and publishes on ``<prefix>:catalogue``; every other process forgets on the message
(milliseconds) and reloads on its next read. If a message is lost (a dropped subscriber
connection, Redis restarting) no entry outlives ``max_age`` (``HOLDFAST_CATALOGUE_MAX_AGE_SECONDS``):
a change is seen everywhere at the latest ``max_age`` after it was committed. While the
subscription is not confirmed (start-up, Redis down) nothing is cached: every read goes to the
database, as with no cache. After each (re)subscription everything is forgotten, since messages
sent in between were missed. A load that began before a message is returned but not kept.

Unknown keys. Keys are cached as one directory, so a key that is not in it is refused without
any query: a client spraying random keys costs nothing but a dictionary lookup, and the whole
directory is reloaded at most once per ``max_age`` (or per change) per process, one query,
whatever the traffic. The price is memory in proportion to the number of active keys (about
200 bytes each) and one query loading them all after each key change.

Loads are shared: concurrent reads of an entry being loaded wait for the same query.

Pub/sub channels ignore Redis's database numbers: processes on other databases of the same
server hear each other's messages, which only makes them forget more often.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from loguru import logger
from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.ports.catalogue import ListingCatalogue
from application.ports.clock import Clock
from domain.errors import NotFoundError
from domain.tenants import KeyHolder, Tenant
from infrastructure.catalogue.entries import KEYS, LISTING, MAX_LISTINGS, TENANT, CatalogueEntries, holder_in
from infrastructure.catalogue.uncached import UncachedCatalogue
from infrastructure.redis_channel import ChannelListener

DEFAULT_MAX_AGE = timedelta(seconds=5)


class RedisCatalogueCache:
    def __init__(
        self,
        source: UncachedCatalogue,
        redis: Redis,
        clock: Clock,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        prefix: str = "hf",
        max_listings: int = MAX_LISTINGS,
    ) -> None:
        self._source, self._redis = source, redis
        self._entries = CatalogueEntries(clock, max_age=max_age, max_listings=max_listings)
        self._changes = ChannelListener(
            redis,
            f"{prefix}:catalogue",
            heard=self._entries.forget,
            reset=self._entries.forget_all,
            lost="caching paused",
        )
        self._channel = self._changes.channel
        self._subscribed = self._changes.subscribed

    async def holder_for_key(self, key_hash: str, now: datetime) -> KeyHolder | None:
        self._listen()
        directory = await self._entries.get(KEYS, lambda: self._source.active_keys(now), self._subscribed.is_set)
        return holder_in(directory, key_hash, now)

    async def listing(self, tenant_id: UUID, listing_id: UUID) -> ListingCatalogue:
        self._listen()
        found = await self._entries.get(
            f"{LISTING}{listing_id}", lambda: self._source.listing(tenant_id, listing_id), self._subscribed.is_set
        )
        if found.listing.tenant_id != tenant_id:  # another tenant's: exactly like a missing one
            raise NotFoundError("listing", listing_id)
        return found

    async def tenant(self, tenant_id: UUID) -> Tenant:
        """Kept like a listing (until a message or ``max_age``): a Bearer request reads no database."""
        self._listen()
        return await self._entries.get(
            f"{TENANT}{tenant_id}", lambda: self._source.tenant(tenant_id), self._subscribed.is_set
        )

    async def changed_keys(self) -> None:
        await self._publish(KEYS)

    async def changed_listing(self, listing_id: UUID) -> None:
        await self._publish(f"{LISTING}{listing_id}")

    async def ready(self) -> None:
        """Wait until changes are heard (and so entries kept): start-up, and tests' warm-up."""
        await self._changes.ready()

    async def aclose(self) -> None:
        await self._changes.aclose()

    async def _publish(self, name: str) -> None:
        """Forget here at once, then tell the others. The change is committed: a failed publish
        is logged, not raised, and the others see it within ``max_age``."""
        self._entries.forget(name)
        try:
            await self._redis.publish(self._channel, name)
        except (RedisError, OSError) as exc:
            logger.warning("catalogue change {} not published ({}); others see it within max_age", name, exc)

    def _listen(self) -> None:
        self._changes.listen()
