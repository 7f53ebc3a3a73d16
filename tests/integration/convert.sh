#!/usr/bin/env bash
# cellpipe convert --to bdf (exit codes, output names, nothing left on failure), the files
# source's `columns:` mapping (checked at load: exit 78 naming file:line) and
# report.timeseries_bdf (timeseries/<cell>.bdf.csv in the published report, read back).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
D=$PWD/tests/data/readers
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }

"$CELLPIPE" convert "$D/neware_flat.csv" "$D/neware_layered.csv" --to bdf -o "$tmp/bdf" >"$tmp/log" 2>&1
check "convert two raw series: exit 0" "[ $? = 0 ]"
check "<stem>.bdf.csv for each" "[ -s '$tmp/bdf/neware_flat.bdf.csv' ] && [ -s '$tmp/bdf/neware_layered.bdf.csv' ]"
check "the BDF header of preferred labels" "head -1 '$tmp/bdf/neware_flat.bdf.csv' | grep -q '^Test Time / s,Voltage / V,Current / A,'"
# every row as many fields as the header (BDF rule), counted with awk
check "rows as wide as the header" "awk -F, 'NR==1{n=NF} NF!=n{bad=1} END{exit bad}' '$tmp/bdf/neware_flat.bdf.csv'"
orig=$("$CELLPIPE" inspect --json "$D/neware_flat.csv" | /usr/bin/python3 -c 'import json,sys; o=json.load(sys.stdin); print(o[0]["rows"] if isinstance(o,list) else o["rows"], o[0]["cycles"] if isinstance(o,list) else o["cycles"])')
back=$("$CELLPIPE" inspect --json "$tmp/bdf/neware_flat.bdf.csv" | /usr/bin/python3 -c 'import json,sys; o=json.load(sys.stdin); print(o[0]["rows"] if isinstance(o,list) else o["rows"], o[0]["cycles"] if isinstance(o,list) else o["cycles"])')
check "the BDF reads back with the same rows and cycles ($orig / $back)" "[ '$orig' = '$back' ] && [ -n '$orig' ]"
check "its rows are the source's data rows" "[ \$((\$(wc -l <'$tmp/bdf/neware_flat.bdf.csv') - 1)) = '${orig% *}' ]"

"$CELLPIPE" convert "$D/batteryarchive_small_cycle_data.csv" --to bdf -o "$tmp/none" >"$tmp/log" 2>&1
rc=$?
check "a per-cycle-only file: exit 65, got $rc" "[ $rc = 65 ]"
check "it says why" "grep -q 'per-cycle rows only' '$tmp/log'"
check "and leaves no file" "[ -z \"\$(ls -A '$tmp/none')\" ]"
"$CELLPIPE" convert "$D/arbin_bom_units_clock_reset.csv" --to bdf -o "$tmp/two" >"$tmp/log" 2>&1
rc=$?
check "a file of two tests (its clock restarts): exit 65, got $rc" "[ $rc = 65 ]"
check "it names the second test" "grep -q \"a second cell 'arbin_bom_units_clock_reset_test2'\" '$tmp/log'"
"$CELLPIPE" convert "$D/neware_flat.csv" --to parquet -o "$tmp/x" >"$tmp/log" 2>&1
check "an unknown target: exit 64" "[ $? = 64 ]"
mkdir -p "$tmp/a" && cp "$D/neware_flat.csv" "$tmp/a/"
"$CELLPIPE" convert "$D/neware_flat.csv" "$tmp/a/neware_flat.csv" --to bdf -o "$tmp/dup" >"$tmp/log" 2>&1
check "two inputs for one output name: exit 64" "[ $? = 64 ]"
"$CELLPIPE" convert "$D/bdf_missing_current.bdf.csv" --to bdf -o "$tmp/bad" >"$tmp/log" 2>&1
check "a BDF without Current: exit 65 naming file:line" "[ $? = 65 ] && grep -q 'bdf_missing_current.bdf.csv:1:' '$tmp/log'"

# source.columns: a custom per-cycle CSV (';', mAh, cell id from a column)
pipeline() {
    cat >"$tmp/p.yaml" <<YAML
name: tidy
source:
  kind: files
  paths: [$D/tidy_custom_columns.csv, $D/neware_flat.csv]
  columns:
    Cycle: cycle_index
    $1
    Cell: cell_id
report:
  root: $tmp/out
  timeseries_bdf: true
validate:
  rules:
    - {rule: required, column: cycle_index}
${2:-}
YAML
}
pipeline '"Q_dis [mAh]": [discharge_capacity_ah, furlong]'
"$CELLPIPE" validate "$tmp/p.yaml" >"$tmp/log" 2>&1
rc=$?
check "an unknown unit: exit 78, got $rc" "[ $rc = 78 ]"
check "naming the key's line" "grep -q 'p.yaml:7:.*furlong' '$tmp/log'"
pipeline '"Q_dis [mAh]": [discharge_capacity, mAh]'
"$CELLPIPE" validate "$tmp/p.yaml" >"$tmp/log" 2>&1
check "an unknown canonical column: exit 78 on line 7" "[ $? = 78 ] && grep -q 'p.yaml:7:.*discharge_capacity' '$tmp/log'"
pipeline '"Q_dis [mAh]": [discharge_capacity_ah, mAh]'
"$CELLPIPE" run "$tmp/p.yaml" --date 2026-01-01 >"$tmp/log" 2>&1
rc=$?
check "the run with the mapping: exit 0, got $rc" "[ $rc = 0 ] || { cat '$tmp/log'; false; }"
r=$tmp/out/tidy/2026-01-01
check "cell X9 from the Cell column, 1098.25 mAh as 1.09825 Ah" "grep -q '^X9,2,.*1.09825' '$r/results/cycles.csv' || awk -F, 'NR==1{for(i=1;i<=NF;i++)if(\$i==\"discharge_capacity_ah\")q=i} \$1==\"X9\"&&\$2==2&&\$q==1.09825{ok=1} END{exit !ok}' '$r/results/cycles.csv'"
check "timeseries/neware_flat.bdf.csv in the report" "[ -s '$r/timeseries/neware_flat.bdf.csv' ]"
check "no series for the per-cycle file" "[ ! -e '$r/timeseries/X9.bdf.csv' ] && [ ! -e '$r/timeseries/tidy_custom_columns.bdf.csv' ]"
check "no scratch file left" "[ -z \"\$(ls -A '$r/timeseries' | grep -v '\.bdf\.csv$')\" ]"
want=$(awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i=="cell_id")c=i} NR>1&&$c=="neware_flat"{n++} END{print n+0}' "$r/results/cycles.csv")
got=$("$CELLPIPE" inspect "$r/timeseries/neware_flat.bdf.csv" | awk '/cycles:/{print $2}')
check "the report's BDF gives the report's cycles of that cell ($want / $got)" "[ '$want' = '$got' ] && [ '$want' -gt 0 ]"

# a failed run publishes nothing, series included
pipeline '"Q_dis [mAh]": [discharge_capacity_ah, mAh]' '    - {rule: range, column: discharge_capacity_ah, min: 5, policy: fail}'
"$CELLPIPE" run "$tmp/p.yaml" --date 2026-01-02 >"$tmp/log" 2>&1
check "a failing run exits nonzero" "[ $? != 0 ]"
check "and publishes no series" "[ ! -e '$tmp/out/tidy/2026-01-02' ]"
echo "convert: $pass passed, $fail failed"
[ "$fail" = 0 ]
