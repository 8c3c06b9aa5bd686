-- Give an active hold's units back. Idempotent on released and expired holds; a due hold is
-- expired rather than released; a confirmed one must be cancelled instead.
-- KEYS[5] the hold record; ARGV[4] its id, ARGV[5] who asks (the audit log's 'by', journaled
-- with a release; a due hold's expiry is nobody's). Replies {'hold', status, body} or {'err', code, ...}.
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
if is_due(hold) then
  end_active(hold, 'expired')
else
  end_active(hold, 'released', 'by', ARGV[5] or '')
end
return hold_reply(hold)
