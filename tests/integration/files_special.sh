#!/usr/bin/env bash
# files source: a FIFO among source.paths is refused at once, a FIFO inside a folder is passed
# over (reading either would block forever), and an empty folder is "no readable input" (66)
# without undefined behaviour (issue #16, defect 10; run under make sanitize too).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
pipeline() { printf 'name: special\nsource:\n  kind: files\n  paths: [%s]\nreport:\n  root: %s\n' "$1" "$tmp/out" >"$tmp/p.yaml"; }

mkdir "$tmp/empty"
pipeline "$tmp/empty"
"$CELLPIPE" validate --data "$tmp/p.yaml" >"$tmp/log" 2>&1
rc=$?
check "an empty folder exits 66, got $rc" "[ $rc = 66 ]"
check "it says no readable input" "grep -q 'no readable input among source.paths' '$tmp/log'"
check "no sanitizer report" "! grep -q 'runtime error\|AddressSanitizer' '$tmp/log'"

mkfifo "$tmp/fifo"
pipeline "$tmp/fifo"
timeout 20 "$CELLPIPE" validate --data "$tmp/p.yaml" >"$tmp/log" 2>&1
rc=$?
check "a FIFO in paths exits 66 at once, got $rc" "[ $rc = 66 ]"
check "it names the FIFO" "grep -qF \"input '$tmp/fifo' is not a regular file\" '$tmp/log'"

mkdir "$tmp/lab"
"$CELLPIPE" sample --cells 2 --cycles 30 --out "$tmp/lab" >/dev/null
mkfifo "$tmp/lab/cell-0003_cycle_data.csv"
pipeline "$tmp/lab"
timeout 60 "$CELLPIPE" run "$tmp/p.yaml" --date 2026-01-01 >"$tmp/log" 2>&1
rc=$?
check "a FIFO in a folder does not block the run, exit $rc" "[ $rc = 0 ]"
check "the two real cells are read" \
    "[ \$(tail -n +2 '$tmp/out/special/2026-01-01/results/cells.csv' | wc -l) = 2 ]"
echo "filesspecial: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
