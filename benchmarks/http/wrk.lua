-- Closed-loop load for benchmarks/http: wrk 4.1 with this script.
-- Environment: BENCH_METHOD, BENCH_PATH, BENCH_KEY (X-API-Key), BENCH_BODY (a JSON template:
-- {ref} becomes a customer_ref unique to this run, thread and request; {hold} the next hold id
-- from BENCH_HOLDS, a file of ids, one a line, shared out between threads and between the wrk
-- processes of one measurement: BENCH_SHARD of BENCH_SHARDS, one a port), BENCH_PREFIX,
-- BENCH_IDENTITIES (a file of "key [ticket]" lines, shared out like the holds: each request
-- sends the next line's key as X-API-Key, and its ticket for {ticket} in BENCH_PATH).
-- done() prints one line "BENCHJSON {...}": status counts, socket errors and latency percentiles.

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   method = os.getenv("BENCH_METHOD") or "GET"
   path = os.getenv("BENCH_PATH") or "/"
   template = os.getenv("BENCH_BODY") or ""
   prefix = os.getenv("BENCH_PREFIX") or "c"
   nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
   -- Each port's wrk takes its own share of the holds: otherwise every port would book the same
   -- holds in the same order, and half the "bookings" would be races for one hold.
   local shard = tonumber(os.getenv("BENCH_SHARD") or "0")
   local shards = tonumber(os.getenv("BENCH_SHARDS") or "1")
   headers = {["Content-Type"] = "application/json", ["Host"] = "127.0.0.1"}
   local key = os.getenv("BENCH_KEY")
   if key and key ~= "" then headers["X-API-Key"] = key end
   holds = {}
   local file = os.getenv("BENCH_HOLDS")
   if file and file ~= "" then
      local i = 0
      for line in io.lines(file) do
         if i % (nthreads * shards) == shard * nthreads + tid - 1 then table.insert(holds, line) end
         i = i + 1
      end
   end
   identities = {}
   local known = os.getenv("BENCH_IDENTITIES")
   if known and known ~= "" then
      local i = 0
      for line in io.lines(known) do
         if i % (nthreads * shards) == shard * nthreads + tid - 1 then
            local key, ticket = line:match("^(%S+)%s*(%S*)")
            table.insert(identities, {key, ticket})
         end
         i = i + 1
      end
   end
   sent = 0
   statuses = {}
end

function request()
   sent = sent + 1
   local body = nil
   if template ~= "" then
      body = template:gsub("{ref}", prefix .. "-" .. tid .. "-" .. sent)
      if #holds > 0 then body = body:gsub("{hold}", holds[((sent - 1) % #holds) + 1]) end
   end
   if #identities > 0 then
      local who = identities[((sent - 1) % #identities) + 1]
      headers["X-API-Key"] = who[1]
      return wrk.format(method, (path:gsub("{ticket}", who[2])), headers, body)
   end
   return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for code, n in pairs(counts) do merged[code] = (merged[code] or 0) + n end
   end
   local parts = {}
   for code, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', code, n)) end
   local grid = {}
   local points = {1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92, 94, 95, 96, 97, 98, 99, 99.5, 99.9, 99.99}
   for _, p in ipairs(points) do table.insert(grid, string.format('"%s": %d', p, latency:percentile(p))) end
   table.insert(grid, string.format('"100": %d', latency.max))
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests": %d, "duration_us": %d, "statuses": {%s}, "socket_errors": %d, "percentiles_us": {%s}}\n',
      summary.requests, summary.duration, table.concat(parts, ", "),
      e.connect + e.read + e.write + e.timeout, table.concat(grid, ", ")))
end
