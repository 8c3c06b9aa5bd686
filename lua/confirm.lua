-- Turn an active hold's held units into sold units. Idempotent; an expired or due hold is
-- refused and left as it is (the sweep or release expires it).
-- KEYS[5] the hold record. Replies {'hold', status, body} or {'err', code, ...}.
if state_lost() then
  return UNAVAILABLE
end
local hold = load_hold(KEYS[5])
if not hold then
  return { 'err', 'not_found' }
end
if hold.status == 'confirmed' then
  return hold_reply(hold)
end
if hold.status == 'expired' or is_due(hold) then
  return { 'err', 'expired' }
end
if hold.status ~= 'active' then
  return { 'err', 'not_active', hold.status }
end
for _, line in ipairs(hold.lines) do
  shift(line[1], 'held', -line[2])
  shift(line[1], 'sold', line[2])
end
redis.call('ZREM', listing.expiry, hold.id)
-- A confirmed record never expires: cancel needs it.
move(hold, 'confirmed')
return hold_reply(hold)
