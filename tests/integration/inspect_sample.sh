#!/usr/bin/env bash
# cellpipe inspect on the Battery Archive files cellpipe sample writes, and on seeded mutants of
# them (truncations, byte flips, NUL bytes): every run ends in exit 0 or a data error (65) with
# one message, never a signal (issue #16, defect 1).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }

"$CELLPIPE" sample --cells 1 --cycles 20 --out "$tmp/s" >/dev/null
f=$tmp/s/cell-0001_cycle_data.csv
"$CELLPIPE" inspect "$f" >"$tmp/out" 2>"$tmp/err"
check "inspect of a sample file exits 0" "[ $? = 0 ]"
check "it detects batteryarchive" "grep -q 'format: batteryarchive' '$tmp/out'"
check "it counts the 20 rows" "grep -qx '  rows: 20' '$tmp/out'"
check "it counts the 20 cycles" "grep -qx '  cycles: 20' '$tmp/out'"
"$CELLPIPE" inspect --json "$f" >"$tmp/json" 2>"$tmp/err"
check "inspect --json exits 0" "[ $? = 0 ]"

size=$(wc -c <"$f")
bad=0
RANDOM=16
for i in $(seq 1 60); do
    m=$tmp/m$i/cell-0001_cycle_data.csv
    mkdir -p "$tmp/m$i"
    pos=$((RANDOM * 32768 + RANDOM))
    pos=$((pos % size))
    case $((i % 3)) in
    0) head -c "$pos" "$f" >"$m" ;;
    1) { head -c "$pos" "$f"; printf '\0\0'; tail -c +$((pos + 3)) "$f"; } >"$m" ;;
    2) { head -c "$pos" "$f"; printf ',x,'; tail -c +$((pos + 2)) "$f"; } >"$m" ;;
    esac
    "$CELLPIPE" inspect "$m" >/dev/null 2>"$tmp/merr"
    rc=$?
    if [ "$rc" != 0 ] && [ "$rc" != 65 ]; then
        bad=$((bad + 1)); echo "mutant $i (kind $((i % 3)), at $pos): exit $rc"
    elif [ "$rc" = 65 ] && ! grep -q '^cellpipe: .*cell-0001_cycle_data.csv' "$tmp/merr"; then
        bad=$((bad + 1)); echo "mutant $i: exit 65 without the file's name"; cat "$tmp/merr"
    fi
done
check "60 mutants end in 0 or 65 naming the file" "[ $bad = 0 ]"
echo "inspect: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
