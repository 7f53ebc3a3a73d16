#!/usr/bin/env bash
# PostgreSQL integration suite: starts its own server (tests/integration/pg-server), runs the
# library-level checks (build/tests/pg/test_pg_live) and the command-line checks below, stops
# and removes the server, and prints one line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$ROOT/$BUILD/cellpipe}
export CELLPIPE_REAL_DATA=${CELLPIPE_REAL_DATA:-$ROOT/../shared/data}
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
skipped() { skip=$((skip + 1)); echo "SKIP $1: $2"; }
check() { # description, command...
    local what=$1; shift
    if "$@"; then ok; else bad "$what"; fi
}

# shellcheck source=tests/integration/pg-server
source tests/integration/pg-server
WORK=""
cleanup() {
    pg_server_stop
    [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT

if ! pg_server_available; then
    skipped "postgres" "PostgreSQL server binaries not installed"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 0
fi
if ! pg_server_start; then
    echo "FAIL cannot start a private PostgreSQL server"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
WORK=$(mktemp -d /tmp/cellpipe-pgtest.XXXXXX)

# ---- library-level checks (every column, NULLs, filters, injection, termination, ingest) --
LIVE=$ROOT/$BUILD/tests/pg/test_pg_live
if [ -x "$LIVE" ]; then
    LIVE_DSN=$(pg_create_db live) || bad "createdb live"
    out=$(CELLPIPE_TEST_PG_DSN=$LIVE_DSN "$LIVE" 2>&1)
    rc=$?
    echo "$out" | grep -E '^(FAIL|SKIP)' | sed 's/^/live: /'
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        bad "test_pg_live printed no result (exit $rc)"
        echo "$out" | tail -n 20
    else
        p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed.*/\1/')
        s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
        pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
        [ "$rc" != 0 ] && [ "$f" = 0 ] && bad "test_pg_live exited $rc"
    fi
else
    bad "missing $LIVE (make unit builds it)"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
