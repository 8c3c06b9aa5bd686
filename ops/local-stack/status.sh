#!/usr/bin/env bash
# What ops/local-stack/up.sh started, whether each API process is ready (GET /health/ready),
# whether the job worker runs (and serves its /metrics), and the job queue as
# `holdfast jobs status` sees it: queued, scheduled, active, dead letters.
# Exits 0 only when everything runs and every API is ready, 1 otherwise.
#   --env   print the stack's HOLDFAST_* settings as export lines instead, for
#           eval "$(bash ops/local-stack/status.sh --env)"; .venv/bin/holdfast create-tenant acme
#           (or .venv/bin/holdfast jobs dead-letters, .venv/bin/holdfast reconcile inventory, ...)
set -euo pipefail
# shellcheck source=ops/local-stack/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ "${1:-}" = --env ]; then
    export_profile
    for name in HOLDFAST_ENV HOLDFAST_DATABASE_URL HOLDFAST_REDIS_URL HOLDFAST_INVENTORY_ENGINE HOLDFAST_PAYMENTS \
        HOLDFAST_JOBS HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS HOLDFAST_STRIPE_WEBHOOK_SECRET HOLDFAST_JWT_KEYS \
        HOLDFAST_QUEUE_PASS_SECRET; do
        [ -n "${!name:-}" ] || continue
        printf 'export %s=%q\n' "$name" "${!name}"
    done
    exit 0
fi

healthy=0
line() { printf '%-10s %-8s %s\n' "$1" "$2" "$3"; }

if pid="$(postgres_pid)"; then
    line postgres running "pid $pid, $(database_url)"
else
    line postgres stopped ""; healthy=1
fi

if pid="$(redis_pid)"; then
    line redis running "pid $pid, $(redis_url)"
else
    line redis stopped ""; healthy=1
fi

for port in "${API_PORTS[@]}"; do
    if pid="$(api_pid "$port")"; then
        if body="$(api_ready "$port" 2>/dev/null)"; then
            line "api-$port" ready "pid $pid, http://127.0.0.1:$port $body"
        else
            line "api-$port" "not-ready" "pid $pid, http://127.0.0.1:$port (see $LOGS/api-$port.log)"; healthy=1
        fi
    else
        line "api-$port" stopped ""; healthy=1
    fi
done

if pid="$(worker_pid)"; then
    if [ "$WORKER_METRICS_PORT" = 0 ]; then
        line worker running "pid $pid, no metrics port (see $LOGS/worker.log)"
    elif worker_metrics >/dev/null 2>&1; then
        line worker running "pid $pid, metrics http://127.0.0.1:$WORKER_METRICS_PORT/metrics"
    else
        line worker "no-metrics" "pid $pid, http://127.0.0.1:$WORKER_METRICS_PORT/metrics does not answer (see $LOGS/worker.log)"
        healthy=1
    fi
else
    line worker stopped "(nothing runs the jobs: holds do not expire)"; healthy=1
fi

# The queue itself, read from Redis and Postgres like the CLI does (it needs both up).
if postgres_pid >/dev/null && redis_pid >/dev/null; then
    export_profile
    if jobs="$(cd "$ROOT" && "$HOLDFAST" jobs status 2>&1)"; then
        line jobs saq "$jobs"
    else
        line jobs error "holdfast jobs status failed: $(tail -n 1 <<<"$jobs")"; healthy=1
    fi
fi

exit "$healthy"
