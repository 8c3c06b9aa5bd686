#!/usr/bin/env bash
# Starts the production profile on this machine, on loopback, without Docker:
#   Postgres (a cluster in var/stack/pg, port $STACK_PG_PORT, default 55432),
#   Redis (var/stack/redis, append-only file on; port $STACK_REDIS_PORT, default 56379),
#   `holdfast migrate`, then two API processes (`holdfast serve`) on 127.0.0.1:8001 and :8002
#   ($STACK_API_PORTS), each with $HOLDFAST_WORKERS worker processes (default 1) on its port,
#   with HOLDFAST_INVENTORY_ENGINE=redis and HOLDFAST_ENV=production,
#   and one SAQ job worker (`holdfast worker`) with its /metrics on 127.0.0.1:9101
#   ($STACK_WORKER_METRICS_PORT; 0 serves none).
# Every process gets HOLDFAST_JOBS=saq: the APIs only enqueue; the worker runs every job and the
# cron schedule (hold expiry, webhook retries, the hold journal, ...) from the stack's Redis.
# Pid files are in var/stack/run, logs in var/stack/log. Running it again starts only what is not
# running (and migrates again, a no-op at head); ops/local-stack/down.sh stops all of it and keeps
# the data; `rm -rf var/stack` afterwards starts from scratch.
# Payments are the fake gateway unless HOLDFAST_PAYMENTS=stripe and its keys are exported.
# Postgres trusts loopback connections as `postgres`: this is a development stack, not a server.
# Needs: make venv (for .venv/bin/holdfast), PostgreSQL server binaries, redis-server, curl.
set -euo pipefail
# shellcheck source=ops/local-stack/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap '[ $? -eq 0 ] || say "up failed; logs are in $LOGS; bash ops/local-stack/down.sh stops what did start" >&2' EXIT

[ -x "$HOLDFAST" ] || fail "$HOLDFAST not found; run make venv (or set HOLDFAST_BIN)"
command -v redis-server >/dev/null || fail "redis-server not found; run make system-deps"
command -v redis-cli >/dev/null || fail "redis-cli not found; run make system-deps"
command -v curl >/dev/null || fail "curl not found"
BINDIR="$(pg_bindir)"
mkdir -p "$RUN" "$LOGS" "$REDIS_DIR"

start_postgres() {
    if pid="$(postgres_pid)"; then
        say "postgres already running (pid $pid, port $PG_PORT)"
        return
    fi
    port_in_use "$PG_PORT" && fail "port $PG_PORT is taken by another process; set STACK_PG_PORT"
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        if [ -d "$PGDATA_DIR" ] && [ -n "$(ls -A "$PGDATA_DIR")" ]; then
            fail "$PGDATA_DIR is neither empty nor a cluster (an interrupted initdb?); remove it and retry"
        fi
        mkdir -p "$PGDATA_DIR"
        chmod 700 "$PGDATA_DIR"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$PGDATA_DIR"
        say "initdb $PGDATA_DIR"
        as_pg_owner "$BINDIR/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C \
            >>"$LOGS/initdb.log" 2>&1 || { log_tail "$LOGS/initdb.log"; fail "initdb failed"; }
    fi
    touch "$LOGS/postgres.log"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$LOGS/postgres.log"  # pg_ctl opens it as postgres
    say "starting postgres on 127.0.0.1:$PG_PORT"
    as_pg_owner "$BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$LOGS/postgres.log" -w -t "$START_TIMEOUT" \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k '$PGDATA_DIR'" >/dev/null \
        || { log_tail "$LOGS/postgres.log"; fail "postgres did not start in ${START_TIMEOUT}s"; }
}

create_database() {
    local address=(-h 127.0.0.1 -p "$PG_PORT" -U postgres)
    wait_for "$START_TIMEOUT" "$BINDIR/pg_isready" -q "${address[@]}" || fail "postgres not accepting connections"
    local found
    found="$("$BINDIR/psql" "${address[@]}" -XAtq -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")"
    if [ "$found" != 1 ]; then
        say "creating database $DB_NAME"
        "$BINDIR/createdb" "${address[@]}" "$DB_NAME"
    fi
}

start_redis() {
    if pid="$(redis_pid)"; then
        say "redis already running (pid $pid, port $REDIS_PORT)"
        return
    fi
    port_in_use "$REDIS_PORT" && fail "port $REDIS_PORT is taken by another process; set STACK_REDIS_PORT"
    say "starting redis on 127.0.0.1:$REDIS_PORT"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
        --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" --appendonly yes --save ""
    wait_for "$START_TIMEOUT" redis_pong || { log_tail "$LOGS/redis.log"; fail "redis not ready in ${START_TIMEOUT}s"; }
}

migrate() {
    say "holdfast migrate"
    (cd "$ROOT" && "$HOLDFAST" migrate) >>"$LOGS/migrate.log" 2>&1 \
        || { log_tail "$LOGS/migrate.log"; fail "holdfast migrate failed"; }
}

start_api() {
    local port="$1" log="$LOGS/api-$1.log" pid
    if pid="$(api_pid "$port")"; then
        say "api already running (pid $pid, http://127.0.0.1:$port)"
        return
    fi
    port_in_use "$port" && fail "port $port is taken by another process"
    say "starting api on http://127.0.0.1:$port"
    # setsid: a session of its own, so a Ctrl-C in this terminal later does not reach it.
    (cd "$ROOT" && HOLDFAST_PORT="$port" exec setsid "$HOLDFAST" serve </dev/null >>"$log" 2>&1) &
    echo $! >"$RUN/api-$port.pid"
}

wait_api_ready() {
    local port="$1" deadline=$((SECONDS + START_TIMEOUT))
    until api_ready "$port" >/dev/null 2>&1; do
        api_pid "$port" >/dev/null || { log_tail "$LOGS/api-$port.log"; fail "api on port $port exited"; }
        [ "$SECONDS" -lt "$deadline" ] || { log_tail "$LOGS/api-$port.log"; fail "api on $port not ready"; }
        sleep 0.2
    done
}

start_worker() {
    local log="$LOGS/worker.log" pid
    if pid="$(worker_pid)"; then
        say "worker already running (pid $pid)"
        return
    fi
    if [ "$WORKER_METRICS_PORT" != 0 ] && port_in_use "$WORKER_METRICS_PORT"; then
        fail "port $WORKER_METRICS_PORT is taken by another process; set STACK_WORKER_METRICS_PORT"
    fi
    local metrics="no metrics port"
    [ "$WORKER_METRICS_PORT" = 0 ] || metrics="metrics on http://127.0.0.1:$WORKER_METRICS_PORT/metrics"
    say "starting worker ($metrics)"
    (cd "$ROOT" && HOLDFAST_WORKER_METRICS_PORT="$WORKER_METRICS_PORT" \
        exec setsid "$HOLDFAST" worker </dev/null >>"$log" 2>&1) &
    echo $! >"$RUN/worker.pid"
}

# Up: the process still runs and, with a metrics port, serves /metrics (it opens the port just
# before it starts taking jobs). A worker that cannot reach Redis exits, which is caught here.
worker_up() { worker_pid >/dev/null && { [ "$WORKER_METRICS_PORT" = 0 ] || worker_metrics >/dev/null; }; }

wait_worker_up() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until worker_up 2>/dev/null; do
        worker_pid >/dev/null || { log_tail "$LOGS/worker.log"; fail "worker exited"; }
        [ "$SECONDS" -lt "$deadline" ] || { log_tail "$LOGS/worker.log"; fail "worker not up in ${START_TIMEOUT}s"; }
        sleep 0.2
    done
    sleep 1  # a worker that fails on its first Redis call exits within this
    worker_pid >/dev/null || { log_tail "$LOGS/worker.log"; fail "worker exited"; }
}

start_postgres
create_database
start_redis
export_profile
migrate
for port in "${API_PORTS[@]}"; do start_api "$port"; done
start_worker
for port in "${API_PORTS[@]}"; do wait_api_ready "$port"; done
wait_worker_up

say "up: ${API_PORTS[*]/#/http://127.0.0.1:} ready, worker $(worker_pid) running (bash ops/local-stack/status.sh --env prints the settings)"
