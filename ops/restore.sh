#!/usr/bin/env bash
# Restores a backup taken by ops/backup.sh into a fresh, empty database.
#   ops/restore.sh FILE DATABASE_URL
# The database must exist and hold no tables (create it first: createdb, or CREATE DATABASE);
# restoring over live data would mix two histories, so a non-empty target is refused.
# One transaction, stopping at the first error: it restores everything or nothing, and exits
# non-zero on any error. Objects get the restoring role as owner (--no-owner) and no grants
# (--no-acl): the target's roles need not match the source's. PG_BINDIR as for backup.sh.
set -euo pipefail
# shellcheck source=ops/pg-client.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg-client.sh"

[ $# -eq 2 ] || pg_fail "usage: restore.sh FILE DATABASE_URL"
file="$1"
[ -f "$file" ] && [ -r "$file" ] || pg_fail "no readable backup at $file"
pg_url "$2"
bindir="$(pg_client_bindir pg_restore psql)"

"$bindir/pg_restore" --list "$file" >/dev/null || pg_fail "$file is not a pg_dump custom-format backup"
tables="$("$bindir/psql" --no-psqlrc --no-password -At -v ON_ERROR_STOP=1 --dbname="$PG_URL" \
    -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'")"
[ "$tables" = 0 ] || pg_fail "the target database is not empty ($tables relations); restore into a fresh one"

"$bindir/pg_restore" --no-owner --no-acl --exit-on-error --single-transaction --no-password \
    --dbname="$PG_URL" "$file"
echo "restored $file"
