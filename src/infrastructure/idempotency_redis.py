"""Idempotency records in Redis, for the profile whose hold path must not write to Postgres.

One hash per (tenant, key), at ``<prefix>:idem:{<tenant>}:<sha256 of key>``: hashing the key
makes any printable client key safe in a key name, and the hash tag keeps a tenant's records
in one cluster slot. While a request runs the hash holds ``token`` and ``locked``; completing it
swaps those for the response fields. Every change is one small Lua script on one key, so the
first claim, the take-over and the token-checked complete and release are each atomic.

Times are the caller's clock in whole microseconds (exact in Lua's doubles until 2255), as in
the SQL store. Records also expire on Redis's own clock ``ttl`` after they are created: should
no purge ever run, Redis still forgets them once clients no longer have the right to retry.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from redis.asyncio import Redis

from application.ports.idempotency import Claim, IdempotencyRecord, StoredResponse
from infrastructure.idempotency_sealing import record_name

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
PURGE_BATCH = 500
Arg = str | int | bytes

# KEYS: record. ARGV: fingerprint, token, now, stale_before, ttl_ms.
# Replies {1} for a new record, {2} for a take-over, else {0, fingerprint, status, headers, body}.
_BEGIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'token', ARGV[2], 'locked', ARGV[3], 'created', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1}
end
local r = redis.call('HMGET', KEYS[1], 'fp', 'token', 'locked', 'status', 'headers', 'body')
if r[2] and r[1] == ARGV[1] and tonumber(r[3]) < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'token', ARGV[2], 'locked', ARGV[3])
  return {2}
end
return {0, r[1], r[4], r[5], r[6]}
"""

# KEYS: record. ARGV: token, status, headers, body, now. The expiry set by begin is kept.
_COMPLETE = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'token', 'locked')
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'headers', ARGV[3], 'body', ARGV[4], 'completed', ARGV[5])
return 1
"""

# KEYS: record. ARGV: token.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: record. ARGV: created_before. The key may have been released and claimed anew since.
_PURGE = """
local created = redis.call('HGET', KEYS[1], 'created')
if created and tonumber(created) < tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIdempotencyStore:
    """The ``IdempotencyStore`` port in Redis, with the SQL store's semantics.

    ``purge`` needs to find records by age without scanning the keyspace, so each new record is
    also entered in a sorted set by creation time (one key of its own: every command touches a
    single key). That index is best effort: a record it misses still expires after ``ttl``, and
    the index itself expires ``ttl`` after the newest record it lists, so it cannot outgrow the
    records should no purge run. ``purge`` is not left a no-op because the port promises purging
    by the caller's clock (a fake one in tests), which Redis's expiry cannot honour.
    The client must return bytes (no ``decode_responses``): bodies are replayed byte for byte.
    """

    def __init__(self, redis: Redis, ttl: timedelta, prefix: str = "hf") -> None:
        if redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("RedisIdempotencyStore needs a client that returns bytes")
        self._redis, self._prefix = redis, prefix
        self._ttl_ms = max(1, -(-ttl // timedelta(milliseconds=1)))
        self._index = f"{prefix}:idem:created"
        self._begin, self._complete, self._release, self._purge = (
            redis.register_script(source) for source in (_BEGIN, _COMPLETE, _RELEASE, _PURGE)
        )

    async def begin(
        self, tenant_id: UUID, key: str, fingerprint: str, now: datetime, stale_before: datetime
    ) -> Claim | IdempotencyRecord:
        claim, record = Claim(tenant_id, key, uuid4()), self._key(tenant_id, key)
        args: list[Arg] = [fingerprint, str(claim.token), _us(now), _us(stale_before), self._ttl_ms]
        reply = await self._begin(keys=[record], args=args)
        if reply[0] == 1:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zadd(self._index, {record: _us(now)})
                pipe.pexpire(self._index, self._ttl_ms)
                await pipe.execute()
        if reply[0] != 0:
            return claim
        return IdempotencyRecord(_text(reply[1]), _response(reply[2:]))

    async def complete(self, claim: Claim, response: StoredResponse, now: datetime) -> bool:
        headers = json.dumps([list(pair) for pair in response.headers])
        args: list[Arg] = [str(claim.token), response.status, headers, response.body, _us(now)]
        return bool(await self._complete(keys=[self._key(claim.tenant_id, claim.key)], args=args))

    async def release(self, claim: Claim) -> None:
        await self._release(keys=[self._key(claim.tenant_id, claim.key)], args=[str(claim.token)])

    async def purge(self, created_before: datetime) -> int:
        """Deletes, page by page, the records the index lists as created before the cut-off."""
        cutoff, purged, offset = _us(created_before), 0, 0
        while records := await self._page(cutoff, offset):
            async with self._redis.pipeline(transaction=False) as pipe:
                for record in records:
                    await self._purge(keys=[record], args=[cutoff], client=pipe)
                purged += sum(await pipe.execute())
            offset += len(records)
        await self._redis.zremrangebyscore(self._index, "-inf", f"({cutoff}")
        return purged

    async def _page(self, cutoff: int, offset: int) -> list[Any]:
        return await self._redis.zrangebyscore(self._index, "-inf", f"({cutoff}", start=offset, num=PURGE_BATCH)

    def _key(self, tenant_id: UUID, key: str) -> str:
        return f"{self._prefix}:idem:{{{tenant_id}}}:{record_name(key)}"


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _response(fields: list[Any]) -> StoredResponse | None:
    status, headers, body = fields
    if status is None:
        return None
    pairs = tuple((str(name), str(value)) for name, value in json.loads(headers))
    return StoredResponse(int(status), pairs, bytes(body))
