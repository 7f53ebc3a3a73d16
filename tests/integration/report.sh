#!/usr/bin/env bash
# The report folder contract: publish, replace, a failed or killed run leaves the previous
# report intact, one run per pipeline at a time (exit 75). No server needed.
set -u
CELLPIPE=${CELLPIPE:-build/cellpipe}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL report: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

cat >"$tmp/p.yaml" <<'YAML'
name: rep
source:
  kind: sample
  cells: ${CP_T_CELLS:-6}
  cycles: ${CP_T_CYCLES:-200}
validate:
  rules:
    - rule: range
      column: discharge_capacity_ah
      min: 0
      max: ${CP_T_MAX:-1000}
      policy: fail
      threshold: 0
YAML
out="$tmp/reports"
run() { $CELLPIPE --quiet run "$tmp/p.yaml" --out "$out" --date "${DATE:-2026-01-01}" "$@"; }

# 1. a run publishes a complete folder and points latest at it
run >"$tmp/stdout" 2>"$tmp/stderr"
check '[ $? = 0 ]' "first run failed: $(cat "$tmp/stderr")"
dir="$out/rep/2026-01-01"
check '[ "$(cat "$tmp/stdout")" = "$dir" ]' "the report path is not printed"
for f in manifest.json results/cells.csv results/cycles.csv quarantine.csv run.log; do
    check "[ -s '$dir/$f' ]" "missing $f"
done
check '[ "$(wc -l <"$dir/results/cells.csv")" = 7 ]' "cells.csv should have 6 cells + header"
check '[ "$(readlink "$out/rep/latest")" = 2026-01-01 ]' "latest does not point at the report"
check '/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m[\"status\"]==\"ok\" and m[\"counts\"][\"cells\"]==6" "$dir/manifest.json"' "manifest content"
before=$(sha256sum "$dir/results/cells.csv" | cut -d' ' -f1)

# 2. a failing run (validation over its threshold) publishes nothing and keeps the old report
CP_T_MAX=0.5 run 2>"$tmp/stderr"
rc=$?
check '[ $rc = 65 ]' "failing run exit $rc, expected 65"
check '[ "$(sha256sum "$dir/results/cells.csv" | cut -d" " -f1)" = "$before" ]' "previous report changed"
check '! ls -d "$out"/rep/.staging-* >/dev/null 2>&1' "a failed run left its staging folder"

# 3. a killed run leaves the previous report; the next run cleans up after it
CP_T_CELLS=600 CP_T_CYCLES=1500 $CELLPIPE --quiet run "$tmp/p.yaml" --out "$out" \
    --date 2026-01-01 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do ls -d "$out"/rep/.staging-* >/dev/null 2>&1 && break; sleep 0.05; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check 'ls -d "$out"/rep/.staging-* >/dev/null 2>&1' "the killed run should have been caught mid-run"
check '[ "$(sha256sum "$dir/results/cells.csv" | cut -d" " -f1)" = "$before" ]' "killed run damaged the report"
touch "$dir/marker"
run >/dev/null 2>&1
check '[ $? = 0 ]' "run after a killed run failed"
check '! ls -d "$out"/rep/.staging-* "$out"/rep/.old-* >/dev/null 2>&1' "leftovers not removed"
check '[ ! -e "$dir/marker" ]' "a re-run of the same date must replace the report whole"
check '[ "$(sha256sum "$dir/results/cells.csv" | cut -d" " -f1)" = "$before" ]' "same input, same cells.csv"

# 4. one run at a time: a second run exits 75 at once while the lock is held
flock "$out/rep/.lock" sleep 5 &
holder=$!
sleep 0.3
timeout 3 $CELLPIPE run "$tmp/p.yaml" --out "$out" --date 2026-01-02 2>"$tmp/stderr"
rc=$?
check '[ $rc = 75 ]' "locked run exit $rc, expected 75"
check 'grep -q "another run holds the lock" "$tmp/stderr"' "lock message: $(cat "$tmp/stderr")"
check '[ ! -e "$out/rep/2026-01-02" ]' "a locked-out run published"
pkill -P $holder 2>/dev/null; kill $holder 2>/dev/null; wait $holder 2>/dev/null

# 5. a newer date moves latest; dry-run writes nothing
DATE=2026-01-03 run >/dev/null 2>&1
check '[ "$(readlink "$out/rep/latest")" = 2026-01-03 ]' "latest should follow the newest report"
run --dry-run --out "$tmp/dry" >/dev/null 2>&1
check '[ $? = 0 ] && [ ! -e "$tmp/dry" ]' "dry-run wrote output"

echo "report: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
