#!/usr/bin/env bash
# What ops/local-stack/up.sh started, and whether each API worker is ready (GET /health/ready).
# Exits 0 only when everything runs and every worker is ready, 1 otherwise.
#   --env   print the stack's HOLDFAST_* settings as export lines instead, for
#           eval "$(bash ops/local-stack/status.sh --env)"; .venv/bin/holdfast create-tenant acme
set -euo pipefail
# shellcheck source=ops/local-stack/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ "${1:-}" = --env ]; then
    export_profile
    for name in HOLDFAST_ENV HOLDFAST_DATABASE_URL HOLDFAST_REDIS_URL HOLDFAST_INVENTORY_ENGINE HOLDFAST_PAYMENTS; do
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

exit "$healthy"
