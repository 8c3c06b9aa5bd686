-- KEYS: tickets, holds. ARGV: ticket id, hold id. Gives back a refused hold's count.
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local t = cjson.decode(raw)
  t.used = math.max(0, tonumber(t.used or 0) - 1)
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(t))
end
return 1
