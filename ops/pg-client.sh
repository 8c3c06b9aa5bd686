# Shared by backup.sh and restore.sh: finding the Postgres client tools and turning a Holdfast
# database URL into what libpq takes. Sourced, not run. The tools are clients: they run as
# whoever calls them, root included (only the server refuses root).

pg_fail() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# PG_BINDIR if set, else PATH, else the newest /usr/lib/postgresql/*/bin (Debian keeps the
# versioned tools there). The directory must hold every tool named in the arguments.
pg_client_bindir() {
    local candidates=() dir tool
    [ -z "${PG_BINDIR:-}" ] || candidates+=("$PG_BINDIR")
    if command -v "$1" >/dev/null 2>&1; then candidates+=("$(dirname "$(readlink -f "$(command -v "$1")")")"); fi
    while read -r dir; do [ -z "$dir" ] || candidates+=("$dir"); done \
        < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV)
    for dir in "${candidates[@]}"; do
        for tool in "$@"; do [ -x "$dir/$tool" ] || continue 2; done
        echo "$dir"
        return
    done
    pg_fail "$* not found (set PG_BINDIR, or install the PostgreSQL client)"
}

# Sets PG_URL to a libpq URL for the HOLDFAST_DATABASE_URL-style URL $1 (the SQLAlchemy driver
# suffix goes, postgres:// is accepted) and moves its password, if any, to PGPASSWORD so that it
# never shows in the process list.
pg_url() {
    local url="$1"
    case "$url" in
        postgresql+asyncpg://*) url="postgresql://${url#postgresql+asyncpg://}" ;;
        postgres://*) url="postgresql://${url#postgres://}" ;;
        postgresql://*) ;;
        sqlite*) pg_fail "a SQLite database is a file: copy it (with the service stopped) instead" ;;
        *) pg_fail "not a postgresql:// URL: ${url%%://*}://..." ;;
    esac
    if [[ "$url" =~ ^postgresql://([^:@/]+):([^@/]*)@(.*)$ ]]; then
        local encoded="${BASH_REMATCH[2]}"
        export PGPASSWORD
        PGPASSWORD="$(printf '%b' "${encoded//%/\\x}")"  # percent-decoded
        url="postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
    fi
    PG_URL="$url"
}
