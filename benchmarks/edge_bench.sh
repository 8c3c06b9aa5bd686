#!/usr/bin/env bash
# The edge, measured in one run: the raw ASGI no-op (benchmarks/edge_noop.py) and the embedded
# default (`holdfast serve`: SQLite, sql engine, one uvicorn process) under the same load.
# Loopback only. Usage: benchmarks/edge_bench.sh [seconds] [connections]
set -euo pipefail
SECONDS_EACH=${1:-5}
CONNECTIONS=${2:-32}
WORK=$(mktemp -d)
PY=${PY:-.venv/bin/python}
NOOP_PORT=${NOOP_PORT:-18731}
APP_PORT=${APP_PORT:-18732}
export HOLDFAST_DATABASE_URL="sqlite+aiosqlite:///$WORK/bench.db" HOLDFAST_PORT=$APP_PORT HOLDFAST_HOST=127.0.0.1
export HOLDFAST_EXPIRY_SWEEP_SECONDS=0
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

.venv/bin/holdfast migrate >/dev/null
KEY=$(.venv/bin/holdfast create-tenant bench | sed 's/.*: //')
$PY -m uvicorn benchmarks.edge_noop:app --host 127.0.0.1 --port $NOOP_PORT --log-level warning --no-access-log &
pids+=($!)
.venv/bin/holdfast serve >"$WORK/serve.log" 2>&1 &
pids+=($!)
for port in $NOOP_PORT $APP_PORT; do
  until curl -s -o /dev/null "http://127.0.0.1:$port/health/live"; do sleep 0.2; done
done
LISTING=$(curl -s -X POST "http://127.0.0.1:$APP_PORT/v1/listings" -H "X-API-Key: $KEY" \
  -H 'Content-Type: application/json' -d '{"kind":"event_show","name":"Bench"}' | $PY -c 'import json,sys;print(json.load(sys.stdin)["id"])')
POOL=$(curl -s -X POST "http://127.0.0.1:$APP_PORT/v1/listings/$LISTING/pools" -H "X-API-Key: $KEY" \
  -H 'Content-Type: application/json' -d '{"code":"ga","capacity":1000000,"unit_price":1000,"currency":"EUR"}' \
  | $PY -c 'import json,sys;print(json.load(sys.stdin)["id"])')
export KEY LISTING POOL

HOLD_LUA=$(dirname "$0")/edge_hold.lua
run() {  # label, wrk args...
  local label=$1; shift
  local out; out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency "$@")
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local p50; p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  local p99; p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local bad; bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "$label|$rps|$p50|$p99|${bad:-0}"
}
run "noop GET" "http://127.0.0.1:$NOOP_PORT/health/live"
run "noop POST" -s "$HOLD_LUA" "http://127.0.0.1:$NOOP_PORT"
run "GET /health/live" "http://127.0.0.1:$APP_PORT/health/live"
run "POST /v1/holds" -s "$HOLD_LUA" "http://127.0.0.1:$APP_PORT"
if [[ -n "${PROFILE:-}" ]]; then  # py-spy on the service while it answers /health/live
  .venv/bin/py-spy record -p "${pids[1]}" -d "$SECONDS_EACH" -f raw -o "$PROFILE.health.txt" >/dev/null 2>&1 &
  spy=$!
  wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" "http://127.0.0.1:$APP_PORT/health/live" >/dev/null
  wait $spy || true
  .venv/bin/py-spy record -p "${pids[1]}" -d "$SECONDS_EACH" -f raw -o "$PROFILE.hold.txt" >/dev/null 2>&1 &
  spy=$!
  wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -s "$HOLD_LUA" "http://127.0.0.1:$APP_PORT" >/dev/null
  wait $spy || true
fi
