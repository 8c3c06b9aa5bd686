# Shared by up.sh, down.sh and status.sh: where things live and how to tell what runs.
# Sourced, not run. Everything is on loopback; every path is under var/stack/ of the checkout.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK="${HOLDFAST_STACK_DIR:-$ROOT/var/stack}"
RUN="$STACK/run"    # pid files
LOGS="$STACK/log"
PGDATA_DIR="$STACK/pg"
REDIS_DIR="$STACK/redis"

PG_PORT="${STACK_PG_PORT:-55432}"
REDIS_PORT="${STACK_REDIS_PORT:-56379}"
read -r -a API_PORTS <<<"${STACK_API_PORTS:-8001 8002}"
WORKER_METRICS_PORT="${STACK_WORKER_METRICS_PORT:-9101}"   # the worker's /metrics; 0: none
DB_NAME=holdfast
HOLDFAST="${HOLDFAST_BIN:-$ROOT/.venv/bin/holdfast}"
START_TIMEOUT="${STACK_START_TIMEOUT:-30}"   # seconds, per component
STOP_TIMEOUT="${STACK_STOP_TIMEOUT:-20}"

say() { printf 'local-stack: %s\n' "$*"; }
fail() { printf 'local-stack: %s\n' "$*" >&2; exit 1; }

# Debian keeps the server binaries off PATH (tests/servers.py looks in the same places); a
# symlink on PATH is followed to its directory, which must hold every tool used here.
pg_bindir() {
    local candidates=() dir tool
    [ -z "${PG_BINDIR:-}" ] || candidates+=("$PG_BINDIR")
    if command -v initdb >/dev/null 2>&1; then candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")"); fi
    while read -r dir; do [ -z "$dir" ] || candidates+=("$(dirname "$dir")"); done \
        < <(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -rV)
    for dir in "${candidates[@]}"; do
        for tool in initdb pg_ctl pg_isready psql createdb; do [ -x "$dir/$tool" ] || continue 2; done
        echo "$dir"
        return
    done
    fail "PostgreSQL server binaries (initdb, pg_ctl, psql, ...) not found; set PG_BINDIR or run make system-deps"
}

# Postgres refuses to run as root: under root its commands run as the `postgres` system user.
as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || fail "running as root but there is no postgres user"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

database_url() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$DB_NAME"; }
redis_url() { echo "redis://127.0.0.1:$REDIS_PORT/0"; }

# The access-token signing key of this stack: random, made on first use, kept with its data.
stack_jwt_keys() {
    local file="$STACK/jwt-keys"
    if [ ! -s "$file" ]; then
        mkdir -p "$STACK"
        (umask 077 && printf 'stack:%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >"$file")
    fi
    head -n 1 "$file"
}

# The fake gateway's webhook secret for this stack: random, made on first use, kept with its data.
stack_webhook_secret() {
    local file="$STACK/webhook-secret"
    if [ ! -s "$file" ]; then
        mkdir -p "$STACK"
        (umask 077 && printf 'whsec_%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$file")
    fi
    head -n 1 "$file"
}

# The production profile, pointed at this stack. Payments stay fake unless the caller exported
# HOLDFAST_PAYMENTS=stripe with its keys: no real Stripe account is needed to try the stack.
# Production refuses the fake gateway unless told it is unsafe and meant: this stack listens on
# loopback only and moves no money, so it says so, and signs the fake "Stripe" webhooks with a
# secret of its own (made once, in $STACK/webhook-secret), never the published development one.
# /v1/dev is not served in production: pay with the fake gateway from a script, or use `make run`.
export_profile() {
    export HOLDFAST_ENV=production
    export HOLDFAST_DATABASE_URL
    HOLDFAST_DATABASE_URL="$(database_url)"
    export HOLDFAST_REDIS_URL
    HOLDFAST_REDIS_URL="$(redis_url)"
    export HOLDFAST_INVENTORY_ENGINE=redis
    # Worker processes per `holdfast serve` (one per port of STACK_API_PORTS): one by default,
    # so two ports make two processes, as on a 2-core machine; export HOLDFAST_WORKERS for more.
    export HOLDFAST_WORKERS="${HOLDFAST_WORKERS:-1}"
    export HOLDFAST_PAYMENTS="${HOLDFAST_PAYMENTS:-fake}"
    if [ "$HOLDFAST_PAYMENTS" = fake ]; then
        export HOLDFAST_ALLOW_UNSAFE_FAKE_PAYMENTS=true
        export HOLDFAST_STRIPE_WEBHOOK_SECRET
        HOLDFAST_STRIPE_WEBHOOK_SECRET="${HOLDFAST_STRIPE_WEBHOOK_SECRET:-$(stack_webhook_secret)}"
    fi
    # The waiting room's pass signing key: the stack's own, made once like the webhook secret.
    export HOLDFAST_QUEUE_PASS_SECRET
    HOLDFAST_QUEUE_PASS_SECRET="${HOLDFAST_QUEUE_PASS_SECRET:-$(stack_webhook_secret | sha256sum | cut -c1-48)}"
    # Access tokens must verify on every process of the stack: one key, kept with the stack.
    export HOLDFAST_JWT_KEYS
    HOLDFAST_JWT_KEYS="${HOLDFAST_JWT_KEYS:-$(stack_jwt_keys)}"
    export HOLDFAST_HOST=127.0.0.1
    # Jobs go to SAQ on the stack's Redis, for the APIs too: they enqueue, the worker runs them
    # (an API on the in-process queue would run its own copy of every cron job).
    export HOLDFAST_JOBS=saq
}

# The pid in FILE if that process is alive and its command line contains PATTERN (a recycled
# pid belongs to someone else and is never signalled); nothing otherwise.
live_pid() {
    local file="$1" pattern="$2" pid command
    [ -f "$file" ] || return 1
    pid="$(head -n 1 "$file" 2>/dev/null | tr -dc '0-9')"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    command="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$command" == *"$pattern"* ]] || return 1
    echo "$pid"
}

postgres_pid() { live_pid "$PGDATA_DIR/postmaster.pid" postgres; }
redis_pid() { live_pid "$RUN/redis.pid" redis-server; }
api_pid() { live_pid "$RUN/api-$1.pid" "holdfast serve"; }
worker_pid() { live_pid "$RUN/worker.pid" "holdfast worker"; }

# Poll COMMAND... once a second-ish until it succeeds; false after TIMEOUT seconds.
wait_for() {
    local timeout="$1"; shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# Something (ours or not) accepts connections on the loopback PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

api_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$1/health/ready"; }
worker_metrics() { curl -fsS --max-time 2 "http://127.0.0.1:$WORKER_METRICS_PORT/metrics"; }
redis_pong() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG; }

# SIGTERM, then SIGKILL if PID is still there after STOP_TIMEOUT seconds.
stop_pid() {
    local name="$1" pid="$2"
    kill -TERM "$pid" 2>/dev/null || return 0
    if ! wait_for "$STOP_TIMEOUT" sh -c "! kill -0 $pid"; then
        say "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

log_tail() { [ -f "$1" ] && tail -n 20 "$1" >&2 || true; }
