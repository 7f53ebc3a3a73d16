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
check "the manifest lists the skipped file and why" "/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[\"data\"][\"skipped\"]; sys.exit(0 if len(s) == 1 and s[0][\"name\"].endswith(\"bad_cycle_data.csv\") and \"expected 2 fields\" in s[0][\"error\"] else 1)' '$r/manifest.json'"

# A damaged file inside a folder obeys on_error as well: stop (the default) fails the run on it,
# skip leaves it out and the manifest says so. A note no reader claims is passed over either way.
mkdir "$tmp/lab"
cp "$tmp/good_cycle_data.csv" "$tmp/lab/"
printf 'Cycle_Index,Discharge_Capacity (Ah)\n1,1.1\n2,\0\0\n' >"$tmp/lab/nul_cycle_data.csv"
printf 'notes on the test\n' >"$tmp/lab/notes.txt"
folder() { printf 'name: folder\nsource:\n  kind: files\n  paths: [%s]\n%breport:\n  root: %s\n' "$tmp/lab" "$1" "$tmp/out" >"$tmp/f.yaml"; }
folder ''
"$CELLPIPE" run "$tmp/f.yaml" --date 2026-01-01 >"$tmp/log" 2>&1
rc=$?
check "a binary file in a folder stops the run (65), got $rc" "[ $rc = 65 ]"
check "it names the file and line" "grep -q 'nul_cycle_data.csv:3: binary file' '$tmp/log'"
folder '  on_error: skip\n'
"$CELLPIPE" run "$tmp/f.yaml" --date 2026-01-01 >"$tmp/log" 2>&1
rc=$?
check "with on_error: skip the run goes on, exit $rc" "[ $rc = 0 ]"
check "the folder's binary file is in data.skipped, the note is not" "/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[\"data\"][\"skipped\"]; sys.exit(0 if [x[\"name\"].rsplit(\"/\", 1)[1] for x in s] == [\"nul_cycle_data.csv\"] else 1)' '$tmp/out/folder/2026-01-01/manifest.json'"
echo "skipfile: $pass passed, $fail failed"
[ "$fail" = 0 ]
