-- Give an active hold's units back. Idempotent on released and expired holds; a due hold is
-- expired rather than released; a confirmed one must be cancelled instead.
-- KEYS[5] the hold record. Replies {'hold', status, body} or {'err', code, ...}.
if state_lost() then
  return UNAVAILABLE
end
local hold = load_hold(KEYS[5])
if not hold then
  return { 'err', 'not_found' }
end
if hold.status == 'released' or hold.status == 'expired' then
  return hold_reply(hold)
end
if hold.status ~= 'active' then
  return { 'err', 'not_active', hold.status }
end
end_active(hold, is_due(hold) and 'expired' or 'released')
return hold_reply(hold)
