-- Token buckets: one call checks every bucket of a request (its identity's and its client
-- address's) and takes a token from each only if each has one (application/ports/rate_limits.py).
-- Loaded on its own (no lib.lua); infrastructure/rate_limits/memory.py does the same arithmetic in
-- Python, step for step, and one test suite runs over both.
--
--   KEYS[i]        bucket i: hash t = tokens (a float, as text), ms = when t was counted
--   ARGV[1]        now (ms, the caller's clock: never Redis TIME, so tests can move a fake clock;
--                  a clock behind the bucket's own time refills nothing)
--   ARGV[2i], ARGV[2i+1]  bucket i's capacity and tokens gained a second
--
-- Reply: allowed (1 or 0), then per bucket: whole tokens left, ms until it has a token (0 while it
-- has one), ms until it is full. A bucket absent is full; each key expires once it would be full
-- again (by Redis's clock, and a minute at least: a caller's clock may run slower, as a test's
-- fake one does), so an idle client leaves nothing behind. All keys of a call share a hash tag (the route
-- class), so the script runs unchanged on Redis Cluster.

local now = tonumber(ARGV[1])
local tokens, stamps, allowed = {}, {}, 1
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local t, ms = unpack(redis.call('HMGET', key, 't', 'ms'))
  t, ms = tonumber(t), tonumber(ms)
  if t == nil or ms == nil then
    t, ms = capacity, now
  elseif now > ms then
    t, ms = math.min(capacity, t + (now - ms) * rate / 1000), now
  end
  tokens[i], stamps[i] = t, ms
  if t < 1 then
    allowed = 0
  end
end

local reply = {allowed}
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local t = tokens[i]
  if allowed == 1 then
    t = t - 1
    local full = math.ceil((capacity - t) * 1000 / rate)
    redis.call('HSET', key, 't', string.format('%.17g', t), 'ms', stamps[i])
    redis.call('PEXPIRE', key, math.max(60000, full + stamps[i] - now))
  end
  local next_token = 0
  if t < 1 then
    next_token = math.ceil((1 - t) * 1000 / rate) + stamps[i] - now
  end
  reply[#reply + 1] = math.floor(t)
  reply[#reply + 1] = next_token
  reply[#reply + 1] = math.ceil((capacity - t) * 1000 / rate) + stamps[i] - now
end
return reply
