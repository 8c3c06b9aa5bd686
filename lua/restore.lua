-- Make one listing's counters and holds what the system of record says (reconciliation's
-- repair, the rebuild after losing Redis). The adapter has checked the input already.
-- KEYS[5..4+n] records of the n holds given; KEYS[5+n..] records of the listing's active
-- holds the adapter declared.
-- ARGV[4] '1' to rebuild only a listing whose counters are lost, '0' to restore in any case;
-- ARGV[5] pools (cjson [[pool, capacity, held, sold], ...]); ARGV[6] holds (cjson
-- [[id, status, expires, customer, units, lines, body], ...]); ARGV[7..] ids of the declared
-- active holds (same order as their KEYS).
-- Replies {'kept'} when ARGV[4] is '1' and the listing has its counters (nothing written),
-- {'active', id...} naming active holds it was not given and that were not declared (nothing
-- written: the adapter calls again declaring them), or {'restored', id...} naming the holds it
-- expired.
if ARGV[4] == '1' and not state_lost() then
  return { 'kept' }
end
local pools, holds = cjson.decode(ARGV[5]), cjson.decode(ARGV[6])
local given, declared = {}, {}
for i, hold in ipairs(holds) do
  given[hold[1]] = KEYS[4 + i]
end
for i = 7, #ARGV do
  declared[ARGV[i]] = KEYS[#holds + i - 2]
end

local active = redis.call('ZRANGE', listing.expiry, 0, -1)
local undeclared = {}
for _, id in ipairs(active) do
  if not given[id] and not declared[id] then
    table.insert(undeclared, id)
  end
end
if #undeclared > 0 then
  return { 'active', unpack(undeclared) }
end

-- Lost holds count as expired; the counters are overwritten below, so none are shifted here.
local expired = {}
for _, id in ipairs(active) do
  if not given[id] then
    local hold = load_hold(declared[id])
    if hold and hold.status == 'active' then
      move(hold, 'expired')
      redis.call('PEXPIRE', hold.key, listing.retention)
      table.insert(expired, id)
    end
    redis.call('ZREM', listing.expiry, id)
  end
end

redis.call('DEL', listing.customers)
for i, h in ipairs(holds) do
  local key, id, status, expires, customer, units = KEYS[4 + i], h[1], h[2], h[3], h[4], h[5]
  local before = redis.call('HGET', key, 'status')
  redis.call('HSET', key, 'status', status, 'id', id, 'expires', expires,
    'customer', customer, 'units', units, 'lines', h[6], 'body', h[7])
  redis.call('PERSIST', key)
  if not before then
    journal('placed', id, 'body', h[7])
    before = 'active'
  end
  if before ~= status then
    journal(status, id)
  end
  if status == 'active' then
    redis.call('ZADD', listing.expiry, expires, id)
  else
    redis.call('ZREM', listing.expiry, id)
  end
  count_customer(customer, units)
end

for _, p in ipairs(pools) do
  redis.call('HSET', listing.pools, p[1] .. ':cap', p[2], p[1] .. ':held', p[3], p[1] .. ':sold', p[4])
end
announce_available() -- counts overwritten: some may be higher than a refusal saw
return { 'restored', unpack(expired) }
