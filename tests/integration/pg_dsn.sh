#!/usr/bin/env bash
# A connection string libpq cannot parse (bad percent-encoding in the password, an unquoted
# password with a space) is a configuration error: exit 78 at once, no retries, and the
# password appears in no output (issue #16, defects 6 and 8). Needs no server.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
printf 'name: dsn\nsource:\n  kind: postgres\nreport:\n  root: %s\n' "$tmp/out" >"$tmp/p.yaml"

n=0
for dsn in 'postgresql://lab:Zq7%zzSecretPW@127.0.0.1:1/lab' \
    'host=127.0.0.1 port=1 password=Zq7 SecretPW dbname=lab'; do
    n=$((n + 1))
    start=$(date +%s)
    DATABASE_URL=$dsn timeout 60 "$CELLPIPE" run "$tmp/p.yaml" --date 2026-01-01 \
        >"$tmp/out$n" 2>"$tmp/err$n"
    rc=$?
    took=$(($(date +%s) - start))
    check "dsn $n: run exits 78, got $rc" "[ $rc = 78 ]"
    check "dsn $n: at once, no retries (${took}s)" "[ $took -lt 3 ]"
    check "dsn $n: the message says what is malformed" \
        "grep -q 'malformed PostgreSQL connection string' '$tmp/err$n'"
    check "dsn $n: no output holds the password" "! grep -q 'SecretPW' '$tmp/out$n' '$tmp/err$n'"
    timeout 60 "$CELLPIPE" db init --db "$dsn" >"$tmp/dout$n" 2>"$tmp/derr$n"
    rc=$?
    check "dsn $n: db init exits 78, got $rc" "[ $rc = 78 ]"
    check "dsn $n: db init echoes no password" "! grep -q 'SecretPW' '$tmp/dout$n' '$tmp/derr$n'"
done
check "no report was published" "[ ! -e '$tmp/out/dsn/2026-01-01' ]"
echo "pgdsn: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
