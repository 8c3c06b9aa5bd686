-- Give a confirmed hold's sold units back (its booking was cancelled). Idempotent.
-- KEYS[5] the hold record. Replies {'hold', status, body} or {'err', code, ...}.
if state_lost() then
  return UNAVAILABLE
end
local hold = load_hold(KEYS[5])
if not hold then
  return { 'err', 'not_found' }
end
if hold.status == 'cancelled' then
  return hold_reply(hold)
end
if hold.status ~= 'confirmed' then
  return { 'err', 'not_active', hold.status }
end
for _, line in ipairs(hold.lines) do
  shift(line[1], 'sold', -line[2])
end
announce_available()
count_customer(hold.customer, -hold.units)
move(hold, 'cancelled')
redis.call('PEXPIRE', hold.key, listing.retention)
return hold_reply(hold)
