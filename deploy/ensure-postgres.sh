#!/usr/bin/env bash
# Print the URL of a reachable PostgreSQL for the test suite, starting one if needed.
#   1. $OVERSIGHT_TEST_DATABASE_URL if set (must answer);
#   2. the server on 127.0.0.1:5432;
#   3. a throwaway cluster under var/pg-test started from the installed PostgreSQL binaries;
#   4. otherwise: a message saying how to install PostgreSQL, and exit 1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$here/.venv/bin/python}

answers() {
  "$py" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
}

if [ -n "${OVERSIGHT_TEST_DATABASE_URL:-}" ]; then
  if answers "$OVERSIGHT_TEST_DATABASE_URL"; then echo "$OVERSIGHT_TEST_DATABASE_URL"; exit 0; fi
  echo "OVERSIGHT_TEST_DATABASE_URL is set but does not answer: $OVERSIGHT_TEST_DATABASE_URL" >&2
  exit 1
fi

default=postgresql://postgres@127.0.0.1:5432/postgres
if answers "$default"; then echo "$default"; exit 0; fi

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
done
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then bindir=$(dirname "$(command -v initdb)"); fi
if [ -z "$bindir" ]; then
  cat >&2 <<'MSG'
No PostgreSQL is reachable and no PostgreSQL binaries are installed.
Install one, then run 'make test' again:
  Debian/Ubuntu:  sudo apt-get install postgresql      (or start it: pg_ctlcluster 15 main start)
  macOS:          brew install postgresql@15 && brew services start postgresql@15
or point the tests at a server:  export OVERSIGHT_TEST_DATABASE_URL=postgresql://user:pass@host:5432/db
MSG
  exit 1
fi

dir=$here/var/pg-test
port=${OVERSIGHT_TEST_PG_PORT:-54329}
run_as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  run_as=(runuser -u postgres --)
fi
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  "${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1
fi
url=postgresql://postgres@127.0.0.1:$port/postgres
if ! answers "$url"; then
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >&2
fi
answers "$url" || { echo "the throwaway PostgreSQL did not start: see $dir/server.log" >&2; exit 1; }
echo "$url"
