#!/usr/bin/env bash
# Installs the system packages Holdfast needs on Debian: python3-venv where Debian's Python lacks
# ensurepip (`make run`, `make test`), and with the argument `servers` also the real PostgreSQL
# and Redis servers that the integration suites start copies of (`make test`), nginx (the
# edge test runs ops/nginx.conf) and chromium (tests/e2e/test_docs_pages.py renders the /schema
# pages in it, tests/browser/ the landing page and the console, through Playwright: Playwright's
# own browser download is not used).
# Idempotent: when nothing is missing it touches nothing, not even the apt index.
set -euo pipefail

python="${PYTHON:-python3}"
missing=()
if [ "${1:-}" = servers ]; then
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    # Debian keeps the server binaries off PATH; tests/servers.py looks in the same places.
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1 \
        || missing+=(postgresql)
fi
"$python" -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: nothing missing"
    exit 0
fi

fail() { echo "install-system-deps: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    fail "missing ${missing[*]}; run this script as root or install sudo"
fi
command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and apt-get is not available; install them by hand"

echo "install-system-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
