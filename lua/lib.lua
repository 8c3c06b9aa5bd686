-- Helpers shared by every Holdfast inventory script. Redis scripts cannot include files, so the
-- adapter prepends this file to each script before loading it.
--
-- Every script is called with the same leading KEYS and ARGV:
--   KEYS[1] pools      hash "<pool>:cap|held|sold" -> count, one per listing
--   KEYS[2] customers  hash customer_ref -> units in its active and confirmed holds
--   KEYS[3] expiry     zset of active hold ids scored by expiry (ms)
--   KEYS[4] journal    stream of hold transitions, read later by the Postgres journaling job
--   ARGV[1] now (ms, the caller's clock: never Redis TIME, so tests can move a fake clock;
--           '' for the calls that have no clock reading: add_pool, resize, cancel)
--   ARGV[2] approximate journal MAXLEN
--   ARGV[3] retention of ended hold records (ms)
-- All keys of a listing share its hash tag, and a script touches only keys it was given in
-- KEYS, so the scripts run unchanged on Redis Cluster.

local listing = {
  pools = KEYS[1],
  customers = KEYS[2],
  expiry = KEYS[3],
  journal = KEYS[4],
  now = tonumber(ARGV[1]),
  maxlen = ARGV[2],
  retention = ARGV[3],
}

-- Capacity, held and sold of a pool of this listing, or nil when the listing has no such pool.
local function pool_counts(pool)
  local v = redis.call('HMGET', listing.pools, pool .. ':cap', pool .. ':held', pool .. ':sold')
  if not v[1] then
    return nil
  end
  return tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
end

-- The listing's counters are one hash, written whenever its state is created (add_pool, restore)
-- and never emptied afterwards: it is the listing's sentinel. Losing it (FLUSHDB, a restart
-- without persistence, eviction, a lost cluster slot) loses every pool of the listing at once.
-- Callers only ask about listings the system of record has pools for, so a script that finds it
-- gone answers 'unavailable' rather than 'pool_not_found' or 'not_found', and writes nothing:
-- a HINCRBY into the missing hash would start counting from zero, a wrong answer for good.
local function state_lost()
  return redis.call('EXISTS', listing.pools) == 0
end

local UNAVAILABLE = { 'err', 'unavailable' }

-- Units given back (a hold released, expired or cancelled, a capacity raised, a pool added, a
-- listing restored) are announced once per script, in the same atomic step: the listing's id on
-- '<prefix>:available'. Each API process's sold-out latch (redis_sold_out.py) forgets the
-- listing's refusals on it. PUBLISH names no key, so this runs unchanged on Redis Cluster.
local announced = false
local function announce_available()
  if not announced then
    local prefix, id = string.match(listing.pools, '^(.*):{(.*)}:pools$')
    redis.call('PUBLISH', prefix .. ':available', id)
    announced = true
  end
end

local function shift(pool, field, delta)
  redis.call('HINCRBY', listing.pools, pool .. ':' .. field, delta)
end

-- Units a customer holds or bought on this listing; the field goes when it reaches zero so the
-- hash does not keep every customer who ever bought something.
local function count_customer(customer, delta)
  if redis.call('HINCRBY', listing.customers, customer, delta) == 0 then
    redis.call('HDEL', listing.customers, customer)
  end
end

-- 'at' is the caller's clock. Cancel has none (ARGV[1] is ''); the entry id still carries
-- Redis's own time.
local function journal(event, id, ...)
  if listing.now then
    redis.call('XADD', listing.journal, 'MAXLEN', '~', listing.maxlen, '*',
      'event', event, 'hold', id, 'at', ARGV[1], ...)
  else
    redis.call('XADD', listing.journal, 'MAXLEN', '~', listing.maxlen, '*', 'event', event, 'hold', id, ...)
  end
end

-- A hold record is a hash: body (the hold as the adapter encoded it; opaque here), status,
-- id, expires (ms), customer, units and lines (cjson [[pool, quantity], ...]).
local function load_hold(key)
  local r = redis.call('HMGET', key, 'status', 'id', 'expires', 'customer', 'units', 'lines', 'body')
  if not r[1] then
    return nil
  end
  return {
    key = key, status = r[1], id = r[2], expires = tonumber(r[3]), customer = r[4],
    units = tonumber(r[5]), lines = cjson.decode(r[6]), body = r[7],
  }
end

local function hold_reply(hold)
  return { 'hold', hold.status, hold.body }
end

local function is_due(hold)
  return hold.status == 'active' and listing.now >= hold.expires
end

-- `...`: more fields for the journal entry ('by', who asked, for the audit log).
local function move(hold, status, ...)
  redis.call('HSET', hold.key, 'status', status)
  hold.status = status
  journal(status, hold.id, ...)
end

-- Active -> released or expired. Only an active hold gets here, and it leaves 'active' in the
-- same script, so its units go back exactly once whoever (sweep, release, place) gets there first.
-- The record stays for the retention period; key TTLs never give stock back.
local function end_active(hold, status, ...)
  for _, line in ipairs(hold.lines) do
    shift(line[1], 'held', -line[2])
  end
  announce_available()
  count_customer(hold.customer, -hold.units)
  redis.call('ZREM', listing.expiry, hold.id)
  move(hold, status, ...)
  redis.call('PEXPIRE', hold.key, listing.retention)
end

-- Expires the hold at `key` if it is due; returns it when this call expired it. An id left in
-- the expiry zset by a hold that is no longer active is dropped from it.
local function expire_if_due(key, id)
  local hold = load_hold(key)
  if hold and is_due(hold) then
    end_active(hold, 'expired')
    return hold
  end
  if not hold or hold.status ~= 'active' then
    redis.call('ZREM', listing.expiry, id)
  end
  return nil
end
