-- Expire the due holds of one listing. The adapter read their ids from the expiry zset and
-- declares their records; each is checked again here, so a hold confirmed or released since
-- that read is left alone.
-- KEYS[5..] hold records; ARGV[4..] their ids (same order).
-- Reply: {{status, body}, ...} for the holds this call expired.
local expired = {}
-- A listing that lost its counters has nothing to give units back to: its holds wait for the
-- repair, which expires the ones the record does not know.
if state_lost() then
  return expired
end
for i = 5, #KEYS do
  local hold = expire_if_due(KEYS[i], ARGV[i - 1])
  if hold then
    table.insert(expired, { hold.status, hold.body })
  end
end
return expired
