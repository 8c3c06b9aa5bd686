"""The catalogue cached in each process for the ``sql`` engine, kept correct by a version row.

What is cached is what ``RedisCatalogueCache`` caches (``entries.py``): the directory of every
active key, and listings with their pools. A hold then runs one transaction, the engine's:
authentication, the listing's rules, pool membership and prices come from memory; capacity and
counts were always the engine's tables', read and written in that transaction.

The bound. ``catalogue_version`` holds one number that triggers move in every transaction that
writes a key, a tenant, a listing or a pool (not a pool's sold count): whoever writes it (this
process, another API process, the CLI, an operator's SQL) cannot forget to. Each process reads
it at most once per ``check_every`` (``HOLDFAST_CATALOGUE_CHECK_SECONDS``), the first read after
that waiting for it (concurrent ones share the query), and forgets everything when it moved. So
a change committed anywhere is used by no read that begins ``check_every`` after the commit;
in the process that made it, at once (``changed_keys`` / ``changed_listing``). A pool's
capacity is not the catalogue's to enforce: the engine checks it in the hold's own transaction,
so a resize bounds holds at once everywhere.

Why not read the version in each hold's transaction (no bound at all): it would cost every hold
a statement -- on Postgres a round trip, where the engine's hold is meant to be one -- to learn
of changes that happen a few times a day; authentication, which runs before the hold, would
still need a bound of its own.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select

from application.ports.catalogue import ListingCatalogue
from application.ports.clock import Clock
from domain.errors import NotFoundError
from domain.tenants import KeyHolder, Tenant
from infrastructure.catalogue.entries import KEYS, LISTING, MAX_LISTINGS, TENANT, CatalogueEntries, holder_in
from infrastructure.catalogue.uncached import UncachedCatalogue
from infrastructure.persistence.database import Database
from infrastructure.persistence.tables import catalogue_version

DEFAULT_CHECK_EVERY = timedelta(seconds=1)
_VERSION = select(func.coalesce(func.max(catalogue_version.c.version), 0))


class SqlCatalogueCache:
    def __init__(
        self,
        source: UncachedCatalogue,
        database: Database,
        clock: Clock,
        *,
        check_every: timedelta = DEFAULT_CHECK_EVERY,
        max_listings: int = MAX_LISTINGS,
    ) -> None:
        self._source, self._db, self._clock, self._check_every = source, database, clock, check_every
        self._entries = CatalogueEntries(clock, max_age=None, max_listings=max_listings)
        self._version: int | None = None
        self._checked_until: datetime | None = None  # None: check before the next read
        self._checking: asyncio.Future[None] | None = None

    async def holder_for_key(self, key_hash: str, now: datetime) -> KeyHolder | None:
        await self._check()
        directory = await self._entries.get(KEYS, lambda: self._source.active_keys(now), _always)
        return holder_in(directory, key_hash, now)

    async def listing(self, tenant_id: UUID, listing_id: UUID) -> ListingCatalogue:
        await self._check()
        found = await self._entries.get(
            f"{LISTING}{listing_id}", lambda: self._source.listing(tenant_id, listing_id), _always
        )
        if found.listing.tenant_id != tenant_id:  # another tenant's: exactly like a missing one
            raise NotFoundError("listing", listing_id)
        return found

    async def tenant(self, tenant_id: UUID) -> Tenant:
        """Kept until the version moves (a tenant's update or delete moves it, by trigger)."""
        await self._check()
        return await self._entries.get(f"{TENANT}{tenant_id}", lambda: self._source.tenant(tenant_id), _always)

    async def changed_keys(self) -> None:
        self._entries.forget(KEYS)

    async def changed_listing(self, listing_id: UUID) -> None:
        self._entries.forget(f"{LISTING}{listing_id}")

    async def _check(self) -> None:
        now = self._clock.now()
        if self._checked_until is not None and now < self._checked_until:
            return
        if self._checking is None:
            self._checking = asyncio.ensure_future(self._read_version(now))
            self._checking.add_done_callback(self._checked)
        await asyncio.shield(self._checking)

    async def _read_version(self, began: datetime) -> None:
        async with self._db.reading() as session:
            version = int(await session.scalar(_VERSION) or 0)
        if version != self._version:
            self._entries.forget_all()  # a load begun before this is not kept either
            self._version = version
        self._checked_until = began + self._check_every

    def _checked(self, done: asyncio.Future[None]) -> None:
        self._checking = None
        if not done.cancelled():
            done.exception()  # retrieved here; the waiting reads raise it (a 503), the next read retries


def _always() -> bool:
    return True
