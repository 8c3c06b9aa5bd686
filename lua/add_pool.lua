-- Start counting a pool; a pool that exists is returned unchanged.
-- ARGV[4] pool id, ARGV[5] capacity.
local pool, capacity = ARGV[4], ARGV[5]
if not pool_counts(pool) then
  redis.call('HSET', listing.pools, pool .. ':cap', capacity, pool .. ':held', 0, pool .. ':sold', 0)
  announce_available()
end
local cap, held, sold = pool_counts(pool)
return { 'pool', cap, held, sold }
