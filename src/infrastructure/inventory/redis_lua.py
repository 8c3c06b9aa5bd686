"""The ``redis`` inventory engine: every change is one Lua script call on one listing's keys.

The scripts live in the repository's ``lua/`` directory; ``redis_codec`` describes the keys.
Time always comes from the caller, so a hold's fate never depends on the Redis server's clock.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from application.audit import current_audit_context
from application.errors import InventoryUnavailableError
from domain.errors import HoldMismatchError, NotFoundError
from domain.inventory import (
    Hold,
    HoldLine,
    HoldStatus,
    PoolCounters,
    check_choice,
    check_restorable,
    same_choice_request,
)
from infrastructure.inventory.redis_codec import (
    ListingKeys,
    RedisKeys,
    decode_hold,
    decode_pool,
    decode_pools,
    encode_by,
    encode_choice,
    encode_hold,
    encode_lines,
    expiry_ms,
    pool_fields,
    raise_error,
    short_pools,
    short_until_ms,
    to_ms,
)
from infrastructure.inventory.redis_round_trips import SharedRoundTrips
from infrastructure.inventory.redis_scripts import LuaScripts
from infrastructure.inventory.redis_sold_out import DEFAULT_MAX_AGE as DEFAULT_SOLD_OUT_LATCH
from infrastructure.inventory.redis_sold_out import SoldOutLatch

DEFAULT_RETENTION = timedelta(days=7)
# Most due holds one place_hold expires before reserving; the sweep (expire_due) does the rest.
EXPIRE_ON_PLACE = 100
# Restore calls that may find holds placed meanwhile and start again before giving up.
RESTORE_ATTEMPTS = 5
# How long (at most; never beyond half the retention) and for how many holds a process remembers
# the listing it placed a hold on or a lookup found it on: booking a hold reads it, then confirms
# it, and neither need look the listing up in the hold's index when this process knows it.
LISTING_HINT_SECONDS = 60.0
LISTING_HINTS_KEPT = 10_000

Reply = list[Any]


class RedisLuaInventoryEngine:
    """Holds in Redis: atomic per listing, journaled to a stream, no Postgres on the hold path.

    ``retention`` is how long released, expired and cancelled holds stay readable; confirmed
    holds stay until cancelled. The client may use ``decode_responses`` either way. Scripts
    load on first use (or ``load_scripts``) and again after a NOSCRIPT.

    Lost state is told apart from unknown ids (``redis_codec`` names the sentinels): a script on
    a listing whose counters are gone, or a lookup by id in a Redis that has no state at all,
    raises ``InventoryUnavailableError`` instead of answering not found.

    A hold refused for lack of units latches its pools for a moment (``sold_out_latch``: at most
    that long; ``redis_sold_out`` states the bound): a hold this process made the id of, asking
    more than a latched pool had, is refused again without a round trip, the same way.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "hf",
        *,
        retention: timedelta = DEFAULT_RETENTION,
        journal_maxlen: int = 100_000,
        lua_dir: Path | None = None,
        sold_out_latch: timedelta = DEFAULT_SOLD_OUT_LATCH,
    ) -> None:
        self._redis = redis
        self._trips = SharedRoundTrips(redis)  # concurrent calls in this process share round trips
        self._keys = RedisKeys(prefix)
        self._retention_ms = retention // timedelta(milliseconds=1)
        self._journal_maxlen = journal_maxlen
        self._scripts = LuaScripts(lua_dir)
        self._hints: OrderedDict[UUID, tuple[str, float]] = OrderedDict()
        self._hint_seconds = min(LISTING_HINT_SECONDS, retention.total_seconds() / 2)
        self.sold_out = SoldOutLatch(redis, max_age=sold_out_latch, prefix=prefix)

    async def aclose(self) -> None:
        """Stop hearing units given back (the latch's subscription)."""
        await self.sold_out.aclose()

    async def load_scripts(self) -> None:
        await self._scripts.load(self._redis)

    async def add_pool(self, counters: PoolCounters) -> PoolCounters:
        pool_id, listing_id = counters.pool_id, counters.listing_id
        if await self._claim_pool(pool_id, listing_id) != str(listing_id):
            # The id counts a pool of another listing: adding it again changes nothing.
            if found := await self.counters([pool_id]):
                return found[0]
            await self._run(lambda p: p.hset(self._keys.pool_listing, str(pool_id), str(listing_id)))
        listing = self._keys.listing(listing_id)
        reply, _ = await self._run(
            lambda p: (
                self._script(p, "add_pool", listing, [], [pool_id, counters.capacity], None),
                p.sadd(self._keys.listings, str(listing_id)),
            )
        )
        return decode_pool(reply, pool_id, listing_id)

    async def place_hold(
        self, hold: Hold, customer_limit: int | None, *, fresh_id: bool = False, choice: Sequence[HoldLine] = ()
    ) -> Hold:
        """One script call; a choice line is picked inside it (``place_hold.lua``). The sold-out
        latch answers plain holds only: a choice's refusal names its candidates too."""
        check_choice(hold, choice)
        latch = self.sold_out
        if fresh_id and not choice and (refused := latch.refusal(hold, to_ms(hold.created_at))) is not None:
            raise refused
        heard = latch.heard
        previous, reply = await self._place(hold, customer_limit, due=[], choice=choice)
        foreign = previous not in (None, str(hold.listing_id))
        if foreign:
            await self._refuse_if_taken(hold, str(previous), reply)
        if reply[0] == "due":
            _, reply = await self._place(hold, customer_limit, due=reply[1:], choice=choice)
        if reply[:2] == ["err", "short"]:
            latch.remember(hold.listing_id, short_pools(reply), short_until_ms(reply), heard)
        if foreign and reply[0] == "hold":
            # The entry was left by a refused attempt on another listing: the hold is here.
            index = self._keys.hold_listing(hold.id)
            await self._run(lambda p: p.set(index, str(hold.listing_id), px=self._index_ttl(hold)))
        if reply[0] == "hold" and reply[3] == "placed" and hold.status is HoldStatus.ACTIVE and not choice:
            found = hold  # the record is this hold's own body, written just now: no need to decode it back
        else:
            found = self._hold_from(reply, hold.id)
            if not same_choice_request(found, hold, choice):
                raise HoldMismatchError(f"hold {hold.id} exists with a different request")
        self._remember(hold.id, str(hold.listing_id))
        return found

    async def confirm(self, hold_id: UUID, now: datetime) -> Hold:
        # Cancel finds a confirmed hold through the index, so the entry loses its TTL in the same
        # round trip; a refused confirm gives it a TTL again.
        reply = await self._on_hold("confirm", hold_id, now, lambda p, index: p.persist(index))
        if reply[0] == "err":
            await self._run(lambda p: p.pexpire(self._keys.hold_listing(hold_id), self._retention_ms))
        return self._hold_from(reply, hold_id)

    async def release(self, hold_id: UUID, now: datetime) -> Hold:
        # GT: never shortens the entry, and leaves a confirmed hold's persistent entry alone.
        by = encode_by(current_audit_context())  # journaled with the release: audited from the journal
        reply = await self._on_hold(
            "release", hold_id, now, lambda p, index: p.pexpire(index, self._retention_ms, gt=True), (by,)
        )
        return self._hold_from(reply, hold_id)

    async def cancel(self, hold_id: UUID) -> Hold:
        # NX gives the persistent entry of a just-cancelled hold a TTL; GT leaves the others longer.
        def keep_for_retention(pipe: Pipeline, index: str) -> None:
            pipe.pexpire(index, self._retention_ms, nx=True)
            pipe.pexpire(index, self._retention_ms, gt=True)

        return self._hold_from(await self._on_hold("cancel", hold_id, None, keep_for_retention), hold_id)

    async def expire_due(self, now: datetime, limit: int = 500) -> list[Hold]:
        due = await self._due_holds(to_ms(now), limit) if limit > 0 else {}

        def build(pipe: Pipeline) -> None:
            for listing_id, ids in due.items():
                keys = self._keys.listing(listing_id)
                self._script(pipe, "expire", keys, [keys.hold(i) for i in ids], ids, to_ms(now))
            for hold_id in (hold_id for ids in due.values() for hold_id in ids):
                pipe.pexpire(self._keys.hold_listing(hold_id), self._retention_ms, gt=True)

        replies = await self._run(build) if due else []
        expired = [decode_hold(status, body) for reply in replies[: len(due)] for status, body in reply]
        return sorted(expired, key=lambda hold: (hold.expires_at, hold.id))

    async def has_state(self) -> bool:
        [found] = await self._run(lambda p: p.exists(self._keys.pool_listing))
        return bool(found)

    async def resize(self, pool_id: UUID, capacity: int) -> PoolCounters:
        index = self._keys.pool_listing
        owner, counted = await self._run(lambda p: (p.hget(index, str(pool_id)), p.exists(index)))
        if owner is None:
            _require_state(counted)
            raise NotFoundError("pool", pool_id)
        listing = self._keys.listing(owner)
        [reply] = await self._run(lambda p: self._script(p, "resize", listing, [], [pool_id, capacity], None))
        if reply[0] == "err":
            raise_error(reply, pool_id)
        return decode_pool(reply, pool_id, UUID(owner))

    async def get_hold(self, hold_id: UUID) -> Hold | None:
        # A hint (``_on_hold``) that finds the record saves the index lookup; one that does not
        # decides nothing: the index does.
        hinted = self._hinted(hold_id)
        if hinted is not None:
            status, body, _ = await self._record(hinted, hold_id)
            if status is not None:
                return decode_hold(status, body)
        listing = await self._listing_of(hold_id)
        if listing is None:
            return None
        status, body, counted = await self._record(listing, hold_id)
        if status is None:
            _require_state(counted)  # the record went with the listing's counters
            return None
        self._remember(hold_id, listing)
        return decode_hold(status, body)

    async def _record(self, listing: str, hold_id: UUID) -> tuple[str | None, str | None, int]:
        """The hold's status and body on the listing (None when it has no record there), and
        whether the listing's counters exist."""
        keys = self._keys.listing(listing)
        (status, body), counted = await self._run(
            lambda p: (p.hmget(keys.hold(hold_id), "status", "body"), p.exists(keys.pools))
        )
        return status, body, counted

    async def counters(self, pool_ids: Sequence[UUID]) -> list[PoolCounters]:
        if not pool_ids:
            return []
        [owners] = await self._run(lambda p: p.hmget(self._keys.pool_listing, [str(i) for i in pool_ids]))
        known = [(pool, UUID(owner)) for pool, owner in zip(pool_ids, owners, strict=True) if owner]
        rows = await self._run(
            lambda p: [p.hmget(self._keys.listing(lst).pools, *pool_fields(pool)) for pool, lst in known]
        )
        return [
            PoolCounters(pool, listing, *map(int, row))
            for (pool, listing), row in zip(known, rows, strict=True)
            if row[0] is not None
        ]

    async def snapshot(self, listing_id: UUID | None = None) -> list[PoolCounters]:
        listings = [str(listing_id)] if listing_id is not None else await self._listings()
        hashes = await self._run(lambda p: [p.hgetall(self._keys.listing(lst).pools) for lst in listings])
        return [pool for lst, fields in zip(listings, hashes, strict=True) for pool in decode_pools(lst, fields)]

    async def restore(
        self, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> None:
        await self._restore(listing_id, pools, holds, now, only_if_lost=False)

    async def rebuild_lost(
        self, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> bool:
        return await self._restore(listing_id, pools, holds, now, only_if_lost=True)

    async def _restore(
        self,
        listing_id: UUID,
        pools: Sequence[PoolCounters],
        holds: Sequence[Hold],
        now: datetime,
        *,
        only_if_lost: bool,
    ) -> bool:
        """One script call on the listing; the id lookups outside its slot follow in the same round
        trip (they are right whatever the script decides: the record says these pools and holds
        are the listing's). False when ``only_if_lost`` and the listing has its counters."""
        check_restorable(listing_id, pools, holds)
        listing = self._keys.listing(listing_id)
        [active] = await self._run(lambda p: p.zrange(listing.expiry, 0, -1))
        for _ in range(RESTORE_ATTEMPTS):
            reply = await self._restore_once(listing_id, pools, holds, now, active, only_if_lost)
            if reply[0] == "kept":
                return False
            if reply[0] == "restored":
                await self._age_indexes(reply[1:])
                return True
            active = [*active, *reply[1:]]
        raise RuntimeError(f"listing {listing_id} kept gaining holds; restore gave up")

    async def _age_indexes(self, expired: list[str]) -> None:
        """Lookups of holds the restore expired last as long as their records."""
        indexes = [self._keys.hold_listing(hold_id) for hold_id in expired]
        if indexes:
            await self._run(lambda p: [p.pexpire(index, self._retention_ms) for index in indexes])

    async def _restore_once(
        self,
        listing_id: UUID,
        pools: Sequence[PoolCounters],
        holds: Sequence[Hold],
        now: datetime,
        active: list[str],
        only_if_lost: bool,
    ) -> Reply:
        """The script, declaring the records of ``active`` holds, and the id lookups, in one round trip."""
        listing = self._keys.listing(listing_id)
        keys = [*(listing.hold(hold.id) for hold in holds), *(listing.hold(hold_id) for hold_id in active)]
        args = [int(only_if_lost), *_restore_args(pools, holds), *active]
        reply, *_ = await self._run(
            lambda p: (
                self._script(p, "restore", listing, keys, args, to_ms(now)),
                self._index_restored(p, listing_id, pools, holds, now),
            )
        )
        return reply

    def _index_restored(
        self, pipe: Pipeline, listing_id: UUID, pools: Sequence[PoolCounters], holds: Sequence[Hold], now: datetime
    ) -> None:
        """The lookups by id: every pool and hold restored can be found again."""
        if pools:
            pipe.hset(self._keys.pool_listing, mapping={str(pool.pool_id): str(listing_id) for pool in pools})
        pipe.sadd(self._keys.listings, str(listing_id))
        for hold in holds:
            index = self._keys.hold_listing(hold.id)
            if hold.status is HoldStatus.CONFIRMED:
                pipe.set(index, str(listing_id))  # cancel needs it for as long as the hold is confirmed
            else:
                left = max(expiry_ms(hold.expires_at) - to_ms(now), 0)
                pipe.set(index, str(listing_id), px=left + self._retention_ms)

    async def _place(
        self, hold: Hold, limit: int | None, due: list[str], choice: Sequence[HoldLine] = ()
    ) -> tuple[str | None, Reply]:
        """One round trip: claim the id's index entry (never overwriting it), run the script.

        With ``due`` empty the script is strict: it names due holds it was not given instead of
        placing, and is called again with them.
        """
        listing = self._keys.listing(hold.listing_id)
        keys = [listing.hold(hold.id), *(listing.hold(hold_id) for hold_id in due)]
        args = _place_args(hold, limit, due, choice)
        index, ttl = self._keys.hold_listing(hold.id), self._index_ttl(hold)

        def build(pipe: Pipeline) -> None:
            pipe.set(index, str(hold.listing_id), nx=True, get=True, px=ttl)
            self._script(pipe, "place_hold", listing, keys, args, to_ms(hold.created_at))
            for hold_id in due:  # their records now last the retention period from here
                pipe.pexpire(self._keys.hold_listing(hold_id), self._retention_ms, gt=True)

        previous, reply, *_ = await self._run(build)
        return previous, reply

    async def _refuse_if_taken(self, hold: Hold, owner: str, reply: Reply) -> None:
        """Refuse a hold whose id a hold of another listing (``owner``, from the index) has.

        Checked before a second, non-strict call, so a refused hold expires nothing, as in the
        reference model. The strict first call may have placed it already (it writes only when
        no hold was due): that hold is released again, so the journal shows it placed, then
        released, and its record stays under this listing for the retention period.
        """
        [taken] = await self._run(lambda p: p.exists(self._keys.listing(owner).hold(hold.id)))
        if not taken:
            return
        if reply[0] == "hold" and reply[3] == "placed":
            await self._on_listing("release", str(hold.listing_id), hold.id, to_ms(hold.created_at))
        raise HoldMismatchError(f"hold {hold.id} exists with a different request")

    async def _on_hold(
        self,
        name: str,
        hold_id: UUID,
        now: datetime | None,
        touch_index: Callable[[Pipeline, str], object],
        extra: Sequence[str] = (),
    ) -> Reply:
        """Run a by-id script on the hold's listing, and ``touch_index`` in the same round trip.

        The listing comes from a hint when there is one (one round trip): the listing this
        process placed the hold on, or last found it on. A hold id stays on its listing while
        its record lasts, and a hint outlives no record (half the retention at most). A hint
        that finds no record there is dropped, and the index is asked.
        """
        now_ms = None if now is None else to_ms(now)
        index = self._keys.hold_listing(hold_id)

        async def on(listing: str) -> Reply:
            reply, *_ = await self._run(
                lambda p: (self._hold_script(p, name, listing, hold_id, now_ms, extra), touch_index(p, index))
            )
            return reply  # type: ignore[no-any-return]

        hinted = self._hinted(hold_id)
        if hinted is not None:
            reply = await on(hinted)
            if reply[:2] != ["err", "not_found"]:
                return reply
            self._hints.pop(hold_id, None)
        listing = await self._listing_of(hold_id)
        if listing is None:
            raise NotFoundError("hold", hold_id)
        return await on(listing)

    def _remember(self, hold_id: UUID, listing: str) -> None:
        self._hints[hold_id] = (listing, time.monotonic() + self._hint_seconds)
        self._hints.move_to_end(hold_id)
        if len(self._hints) > LISTING_HINTS_KEPT:
            self._hints.popitem(last=False)

    def _hinted(self, hold_id: UUID) -> str | None:
        hint = self._hints.get(hold_id)
        if hint is None or hint[1] < time.monotonic():
            return None
        return hint[0]

    async def _on_listing(self, name: str, listing: str, hold_id: UUID, now_ms: int) -> Reply:
        [reply] = await self._run(lambda p: self._hold_script(p, name, listing, hold_id, now_ms))
        return reply

    def _hold_script(
        self, pipe: Pipeline, name: str, listing: str, hold_id: UUID, now_ms: int | None, extra: Sequence[str] = ()
    ) -> None:
        keys = self._keys.listing(listing)
        self._script(pipe, name, keys, [keys.hold(hold_id)], [hold_id, *extra], now_ms)

    def _script(
        self, pipe: Pipeline, name: str, listing: ListingKeys, keys: list[str], args: list[Any], now_ms: int | None
    ) -> None:
        """Queue a script call with the leading KEYS and ARGV every script expects (lua/lib.lua)."""
        common = ["" if now_ms is None else now_ms, self._journal_maxlen, self._retention_ms]
        self._scripts.call(pipe, name, [*listing.common, *keys], [*common, *map(str, args)])

    async def _due_holds(self, now_ms: int, limit: int) -> dict[str, list[str]]:
        """The ``limit`` earliest due holds over every listing, grouped by listing. Listings that
        lost their counters are left out: their holds wait for the repair, and must not fill
        every sweep's ``limit`` meanwhile."""
        listings = await self._listings()

        def build(pipe: Pipeline) -> None:
            for lst in listings:
                keys = self._keys.listing(lst)
                pipe.zrangebyscore(keys.expiry, "-inf", now_ms, 0, limit, withscores=True)
                pipe.exists(keys.pools)

        found = await self._run(build)
        candidates = sorted(
            (float(score), hold_id, lst)
            for lst, pairs, counted in zip(listings, found[::2], found[1::2], strict=True)
            if counted
            for hold_id, score in pairs
        )
        due: dict[str, list[str]] = defaultdict(list)
        for _, hold_id, lst in candidates[:limit]:
            due[lst].append(hold_id)
        return due

    async def _claim_pool(self, pool_id: UUID, listing_id: UUID) -> str:
        """The listing that owns ``pool_id``: this one unless another claimed it first."""
        index = self._keys.pool_listing
        _, owner = await self._run(
            lambda p: (p.hsetnx(index, str(pool_id), str(listing_id)), p.hget(index, str(pool_id)))
        )
        return owner

    async def _listing_of(self, hold_id: UUID) -> str | None:
        """The hold's listing, None when the id is unknown; but an engine that has no state at all
        cannot tell an unknown hold from a lost one, so it says so."""
        index = self._keys.hold_listing(hold_id)
        listing, counted = await self._run(lambda p: (p.get(index), p.exists(self._keys.pool_listing)))
        if listing is None:
            _require_state(counted)
        return listing

    async def _listings(self) -> list[str]:
        [listings] = await self._run(lambda p: p.smembers(self._keys.listings))
        return sorted(listings)

    def _index_ttl(self, hold: Hold) -> int:
        """Long enough for the hold to end and its record's retention to run out."""
        return expiry_ms(hold.expires_at) - to_ms(hold.created_at) + self._retention_ms

    def _hold_from(self, reply: Reply, hold_id: UUID) -> Hold:
        if reply[0] == "err":
            raise_error(reply, hold_id)
        return decode_hold(reply[1], reply[2])

    async def _run(self, build: Callable[[Pipeline], object]) -> list[Any]:
        return await self._scripts.run(self._trips, build)


def _require_state(counted: int) -> None:
    """After a lookup by id found nothing: when the state it would be in is gone (``counted`` 0:
    the pool index, or the listing's counters) the id may be one the engine lost, so nothing is
    claimed about it."""
    if not counted:
        raise InventoryUnavailableError("the inventory engine has no state; retry later")


def _restore_args(pools: Sequence[PoolCounters], holds: Sequence[Hold]) -> list[Any]:
    """ARGV[5] and ARGV[6] of ``restore.lua``: every number as text, as Redis would hand it back."""
    counts = [[str(p.pool_id), str(p.capacity), str(p.held), str(p.sold)] for p in pools]
    records = [
        [str(h.id), h.status.value, str(expiry_ms(h.expires_at)), h.customer_ref, str(h.quantity), *_bodies(h)]
        for h in holds
    ]
    return [json.dumps(counts), json.dumps(records)]


def _bodies(hold: Hold) -> tuple[str, str]:
    return encode_lines(hold), encode_hold(hold)


def _place_args(hold: Hold, limit: int | None, due: list[str], choice: Sequence[HoldLine] = ()) -> list[Any]:
    """ARGV[4..] of ``place_hold.lua``, in its order."""
    strict = 0 if due else 1
    body, chosen = encode_choice(hold, choice)
    return [
        *(hold.id, body, encode_lines(hold), hold.customer_ref, hold.quantity),
        *(expiry_ms(hold.expires_at), "" if limit is None else limit, strict, EXPIRE_ON_PLACE),
        encode_by(current_audit_context()),  # journaled with the hold: audited from the journal
        chosen,
        *due,
    ]
