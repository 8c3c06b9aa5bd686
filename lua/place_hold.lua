-- Reserve every line of a hold or none, after expiring the listing's due holds.
-- KEYS[5] the hold record; KEYS[6..] records of due holds the adapter declared.
-- ARGV[4] hold id, [5] body, [6] lines (cjson [[pool, quantity], ...]), [7] customer,
-- [8] units, [9] expires (ms), [10] customer limit ('' for none), [11] strict ('1' or '0'),
-- [12] most due holds to expire here, [13] who asks (the audit log's 'by', journaled with the
-- hold), [14] the choice line ('' for none; else cjson {placeholder, lines: [[pool, quantity,
-- encoded line], ...]}), [15..] ids of the declared due holds (same order as KEYS).
-- Replies: {'hold', status, body, 'placed'|'existing'}, {'due', id...} or {'err', code, ...}
-- ({'err', 'short', earliest expiry or '', pool, available, ...} for short pools).
--
-- A choice line is "one of these pools": the first candidate with its quantity free joins the
-- hold's lines, in this same call. The body then carries a placeholder line, which the picked
-- candidate's encoded line replaces, so the record and the journal hold the line picked.
local id, body, lines_json, customer = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local units, expires, limit = tonumber(ARGV[8]), ARGV[9], ARGV[10]
local by = ARGV[13]
local choice = nil
if ARGV[14] ~= '' then
  choice = cjson.decode(ARGV[14])
end

if state_lost() then
  return UNAVAILABLE
end

-- Same id again: the adapter compares the requests (a retry or a mismatch).
local existing = load_hold(KEYS[5])
if existing then
  return { 'hold', existing.status, existing.body, 'existing' }
end

-- Due holds go first so their units are sellable at once. Their records must be declared
-- KEYS, which the adapter cannot know beforehand: in strict mode an undeclared due hold sends
-- the ids back before anything is written, and the adapter calls again declaring them. The
-- second call is not strict: a hold that fell due in between is left to the sweep.
local declared = {}
for i = 15, #ARGV do
  declared[ARGV[i]] = KEYS[i - 9]
end
local due = redis.call('ZRANGEBYSCORE', listing.expiry, '-inf', listing.now, 'LIMIT', 0, ARGV[12])
if ARGV[11] == '1' then
  for _, due_id in ipairs(due) do
    if not declared[due_id] then
      return { 'due', unpack(due) }
    end
  end
end
for _, due_id in ipairs(due) do
  if declared[due_id] then
    expire_if_due(declared[due_id], due_id)
  end
end

-- Checks, in the memory engine's order: unknown pool, then every short pool, then the limit.
local lines = cjson.decode(lines_json)
local short = {}
for _, line in ipairs(lines) do
  local cap, held, sold = pool_counts(line[1])
  if not cap then
    return { 'err', 'pool_not_found', line[1] }
  end
  if cap - held - sold < line[2] then
    table.insert(short, line[1])
    table.insert(short, cap - held - sold)
  end
end
local picked = nil
if choice then
  for _, line in ipairs(choice.lines) do
    if not pool_counts(line[1]) then
      return { 'err', 'pool_not_found', line[1] }
    end
  end
  for _, line in ipairs(choice.lines) do
    local cap, held, sold = pool_counts(line[1])
    if cap - held - sold >= line[2] then
      picked = line
      break
    end
  end
  if not picked then
    for _, line in ipairs(choice.lines) do
      local cap, held, sold = pool_counts(line[1])
      table.insert(short, line[1])
      table.insert(short, cap - held - sold)
    end
  end
end
if #short > 0 then
  -- The earliest expiry of the listing's active holds ('' for none): units come back then
  -- without any script announcing it, so a refusal is not remembered past it.
  local first = redis.call('ZRANGE', listing.expiry, 0, 0, 'WITHSCORES')
  return { 'err', 'short', first[2] or '', unpack(short) }
end
if picked then
  table.insert(lines, { picked[1], picked[2] })
  lines_json = cjson.encode(lines)
  units = units + picked[2]
  local from, to = string.find(body, choice.placeholder, 1, true)
  body = string.sub(body, 1, from - 1) .. picked[3] .. string.sub(body, to + 1)
end
if limit ~= '' then
  local already = tonumber(redis.call('HGET', listing.customers, customer) or '0')
  if already + units > tonumber(limit) then
    return { 'err', 'limit', tonumber(limit), already, units }
  end
end

for _, line in ipairs(lines) do
  shift(line[1], 'held', line[2])
end
count_customer(customer, units)
redis.call('HSET', KEYS[5], 'status', 'active', 'id', id, 'expires', expires,
  'customer', customer, 'units', units, 'lines', lines_json, 'body', body)
redis.call('ZADD', listing.expiry, expires, id)
journal('placed', id, 'body', body, 'by', by)
return { 'hold', 'active', body, 'placed' }
