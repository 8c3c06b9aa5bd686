-- KEYS: waiting, tickets, subjects, admitted. ARGV: ticket id, subject. Returns 1 if left.
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw or cjson.decode(raw).subject ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[3], ARGV[2]) end
return 1
