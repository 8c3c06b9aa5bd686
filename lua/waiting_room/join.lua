-- KEYS: seq, waiting, tickets, subjects, admitted. ARGV: subject, new ticket id, now.
-- Returns {created (0/1), describe(...)}.
local subject, fresh, now = ARGV[1], ARGV[2], ARGV[3]
local existing = redis.call('HGET', KEYS[4], subject)
if existing then
  local raw = redis.call('HGET', KEYS[3], existing)
  if raw then
    local t = cjson.decode(raw)
    if t.state == 'waiting' or tonumber(t.expires) > tonumber(now) then
      return {0, describe(KEYS[2], existing, raw)}
    end
    -- its pass is over: the old place goes, and the identity joins at the back
    redis.call('HDEL', KEYS[3], existing)
    redis.call('ZREM', KEYS[5], existing)
  end
end
local seq = redis.call('INCR', KEYS[1])
local raw = cjson.encode({subject = subject, seq = seq, state = 'waiting', joined = now, used = 0})
redis.call('HSET', KEYS[3], fresh, raw)
redis.call('HSET', KEYS[4], subject, fresh)
redis.call('ZADD', KEYS[2], seq, fresh)
return {1, describe(KEYS[2], fresh, raw)}
