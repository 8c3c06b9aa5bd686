-- KEYS: waiting, tickets. ARGV: ticket id. Returns describe(...) or false.
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return false end
return describe(KEYS[1], ARGV[1], raw)
