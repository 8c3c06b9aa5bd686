#!/usr/bin/env bash
# A consistent backup of the Holdfast database: pg_dump's custom format (-Fc, compressed, restored
# with ops/restore.sh), taken in one snapshot while the service keeps running.
#   ops/backup.sh [-o FILE] [DATABASE_URL]
# DATABASE_URL defaults to $HOLDFAST_DATABASE_URL; FILE to var/backups/holdfast-<UTC time>.dump.
# The dump is written next to FILE and renamed into place only when pg_dump succeeded, so FILE
# is never a truncated backup. Prints FILE. PG_BINDIR picks the pg_dump (by default: PATH, then
# the newest /usr/lib/postgresql/*/bin); it must be at least the server's major version.
# With HOLDFAST_INVENTORY_ENGINE=redis the live counters and holds are in Redis, not in this
# dump (Holdfast does not rebuild them from Postgres): keep Redis's own persistence (RDB/AOF) too.
set -euo pipefail
# shellcheck source=ops/pg-client.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg-client.sh"

out=""
while getopts "o:h" option; do
    case "$option" in
        o) out="$OPTARG" ;;
        *) sed -n '2,10s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || pg_fail "too many arguments (usage: backup.sh [-o FILE] [DATABASE_URL])"
source_url="${1:-${HOLDFAST_DATABASE_URL:-}}"
[ -n "$source_url" ] || pg_fail "no database: pass a URL or set HOLDFAST_DATABASE_URL"
pg_url "$source_url"

if [ -z "$out" ]; then
    out="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/var/backups/holdfast-$(date -u +%Y%m%dT%H%M%SZ).dump"
fi
mkdir -p "$(dirname "$out")"
partial="$out.partial"
trap 'rm -f "$partial"' EXIT

bindir="$(pg_client_bindir pg_dump)"
"$bindir/pg_dump" --format=custom --no-password --file="$partial" --dbname="$PG_URL"
mv "$partial" "$out"
echo "$out"
