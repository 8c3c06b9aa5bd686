-- KEYS: waiting, tickets, subjects, admitted, meta. ARGV: batch size, period (ms), pass ttl (ms), now.
-- Admits the next batch, all in this one call, unless the last release is less than a period
-- old (a second worker, or a retry of a round whose worker died after this call, admits nobody).
-- Returns how many places were admitted.
local batch, period, ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local last = redis.call('HGET', KEYS[5], 'released_at')
if last and tonumber(now) < tonumber(last) + period then return 0 end
redis.call('HSET', KEYS[5], 'released_at', now)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  local raw = redis.call('HGET', KEYS[2], id)
  if raw then
    local subject = cjson.decode(raw).subject
    if redis.call('HGET', KEYS[3], subject) == id then redis.call('HDEL', KEYS[3], subject) end
    redis.call('HDEL', KEYS[2], id)
  end
  redis.call('ZREM', KEYS[4], id)
end
local ids = redis.call('ZRANGE', KEYS[1], 0, batch - 1)
local expires = tostring(tonumber(now) + ttl)
for _, id in ipairs(ids) do
  local t = cjson.decode(redis.call('HGET', KEYS[2], id))
  t.state, t.admitted, t.expires = 'admitted', now, expires
  redis.call('HSET', KEYS[2], id, cjson.encode(t))
  redis.call('ZADD', KEYS[4], expires, id)
end
if #ids > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #ids - 1) end
return #ids
