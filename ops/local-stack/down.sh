#!/usr/bin/env bash
# Stops what ops/local-stack/up.sh started: the API processes first (nothing new is enqueued),
# then the job worker, then Redis, then Postgres (a fast shutdown: open transactions roll back).
# The worker gets SIGTERM and $STACK_STOP_TIMEOUT seconds (default 20) to exit: it takes no more
# jobs, gives the running ones 10 s to finish, and puts the rest back in the queue for the next
# up.sh (every job is idempotent). Only if it is still there after that is it killed.
# The data (Postgres, Redis and so the queue) stays in var/stack for the next up.sh.
# Only processes named by the stack's pid files are signalled, and only if their command line
# still matches (a pid file left over from a crash never kills a stranger). Harmless to repeat.
set -euo pipefail
# shellcheck source=ops/local-stack/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for port in "${API_PORTS[@]}"; do
    if pid="$(api_pid "$port")"; then
        say "stopping api on port $port (pid $pid)"
        stop_pid "api-$port" "$pid"
    fi
    rm -f "$RUN/api-$port.pid"
done

if pid="$(worker_pid)"; then
    say "stopping worker (pid $pid)"
    stop_pid worker "$pid"
fi
rm -f "$RUN/worker.pid"

if pid="$(redis_pid)"; then
    say "stopping redis (pid $pid)"
    stop_pid redis "$pid"  # SIGTERM: Redis flushes its append-only file and exits
fi
rm -f "$RUN/redis.pid"

if pid="$(postgres_pid)"; then
    say "stopping postgres (pid $pid)"
    as_pg_owner "$(pg_bindir)/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t "$STOP_TIMEOUT" >/dev/null \
        || fail "postgres did not stop in ${STOP_TIMEOUT}s; see $LOGS/postgres.log"
fi

say "down"
