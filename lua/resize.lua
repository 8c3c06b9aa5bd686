-- Set a pool's capacity, never below the units held or sold.
-- ARGV[4] pool id, ARGV[5] capacity.
local pool, capacity = ARGV[4], tonumber(ARGV[5])
if state_lost() then
  return UNAVAILABLE
end
local before, held, sold = pool_counts(pool)
if not held then
  return { 'err', 'pool_not_found', pool }
end
if capacity < held + sold then
  return { 'err', 'below', capacity, held + sold }
end
redis.call('HSET', listing.pools, pool .. ':cap', capacity)
if capacity > before then
  announce_available()
end
return { 'pool', capacity, held, sold }
