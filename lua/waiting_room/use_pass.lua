-- KEYS: tickets, holds. ARGV: ticket id, subject, hold id, holds per pass, now.
-- Returns ok (counted now), again (this hold id was counted before), gone (no such place of this identity), waiting, expired or used_up.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 'gone' end
local t = cjson.decode(raw)
if t.subject ~= ARGV[2] then return 'gone' end
if t.state ~= 'admitted' then return 'waiting' end
if tonumber(t.expires) <= tonumber(ARGV[5]) then return 'expired' end
if redis.call('HGET', KEYS[2], ARGV[3]) == ARGV[1] then return 'again' end  -- a retried hold: counted once
local used = tonumber(t.used or 0)
if used >= tonumber(ARGV[4]) then return 'used_up' end
t.used = used + 1
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(t))
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
-- The counted hold ids matter only while a pass is valid: the hash lives as long as the
-- longest-lived pass that wrote to it, then goes whole (no per-entry clean-up to run).
local left = tonumber(t.expires) - tonumber(ARGV[5])
if redis.call('PTTL', KEYS[2]) < left then redis.call('PEXPIRE', KEYS[2], left) end
return 'ok'
