#!/usr/bin/env bash
# source.on_error: skip leaves nothing of a skipped file behind: no cell with 0 cycles, no
# cycle, no input record (a file that fails half-way has already given the reader a cell row).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }

printf 'Cycle_Index,Discharge_Capacity (Ah)\n1,1.1\n2,1.09\n3,1.08\n' >"$tmp/good_cycle_data.csv"
printf 'Cycle_Index,Discharge_Capacity (Ah)\n1,1.1\n2,1.09\n3,1.08,7\n' >"$tmp/bad_cycle_data.csv"
cat >"$tmp/p.yaml" <<YAML
name: skip
source:
  kind: files
  paths: [$tmp/good_cycle_data.csv, $tmp/bad_cycle_data.csv]
  on_error: skip
report:
  root: $tmp/out
YAML
"$CELLPIPE" run "$tmp/p.yaml" --date 2026-01-01 >"$tmp/log" 2>&1
check "the run succeeds past the bad file" "[ $? = 0 ]"
check "the skip is logged with file and line" "grep -q 'bad_cycle_data.csv:4: expected 2 fields, got 3' '$tmp/log'"
r=$tmp/out/skip/2026-01-01
check "one cell only" "[ \$(tail -n +2 '$r/results/cells.csv' | wc -l) = 1 ]"
check "no phantom cell 'bad'" "! grep -q '^bad,' '$r/results/cells.csv'"
check "no flag no_cycles" "! grep -q no_cycles '$r/results/cells.csv'"
# (the manifest's config lists it among source.paths, as the pipeline does; its inputs must not)
check "the skipped file is not an input" "/usr/bin/python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))[\"data\"][\"inputs\"]; sys.exit(1 if \"bad_cycle_data\" in json.dumps(i) or not i else 0)' '$r/manifest.json'"
echo "skipfile: $pass passed, $fail failed"
[ "$fail" = 0 ]
