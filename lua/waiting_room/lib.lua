-- The waiting room's shared helpers (prefixed to each script: Redis scripts cannot include files).
-- A listing's keys share one hash tag ({q:<listing>}) so the scripts run unchanged on a Cluster:
--   seq       the last place number given (INCR)
--   waiting   ZSET ticket -> place number: the line, first come first served
--   tickets   HASH ticket -> JSON {subject, seq, state, joined, admitted, expires, used}
--   subjects  HASH identity -> its ticket (one place per identity)
--   admitted  ZSET ticket -> pass expiry (ms): what a release forgets once expired
--   meta      HASH released_at (ms)
--   holds     HASH hold id -> the ticket whose pass counted it
-- Times are epoch milliseconds, kept as strings (cjson would round large numbers).

local function describe(waiting, id, raw)
  local t = cjson.decode(raw)
  local rank = redis.call('ZRANK', waiting, id)
  return {id, t.subject, tostring(t.seq), t.state, t.joined, t.admitted or '', t.expires or '', rank or -1}
end
