#!/usr/bin/env bash
# The statistics of a real report agree with independent implementations: the demo pipeline
# (sample lab) runs, then results/statistics.csv is recomputed from its results/cells.csv by
# lifelines, scipy.stats and numpy (tests/integration/fleet_stats.py, in the pinned test
# virtualenv) at 1e-9 relative. Also: the sample lab's designs differ in life and the report
# says so in summary.pdf's words on index.html; the workbook's Statistics sheet (read back
# with openpyxl) holds the CSV's rows; bad `statistics:` settings fail with file:line and 78.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL fleetstats: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
finish() { echo "fleetstats: $pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }
# shellcheck source=lib/mlflow_server.bash
source tests/integration/lib/mlflow_server.bash
if ! mlflow_venv; then
    echo "SKIP fleetstats: the test virtualenv could not be made"; skip=1; finish
fi
VPY=$MLFLOW_VENV/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # run NAME YAML-EXTRA... : a copy of the demo pipeline with extra keys
    local name=$1
    shift
    { sed "s/^name: demo/name: $name/" pipelines/demo.yaml; printf '%s\n' "$@"; } \
        >"$tmp/$name.yaml"
    "$CELLPIPE" run "$tmp/$name.yaml" --date 2026-01-15 --out "$tmp/reports" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
}

check "the demo pipeline runs" 'run demo'
dir=$(cat "$tmp/demo.out")
check "results/statistics.csv written" '[ -s "$dir/results/statistics.csv" ]'
out=$("$VPY" tests/integration/fleet_stats.py "$dir" design_name \
    cycle_life,fade_rate,ce_mean,last_retention)
echo "$out" | grep -v ' passed, ' | head -20
n=$(echo "$out" | sed -n 's/^fleetstats: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p')
check "reference recomputation ran ($out)" '[ -n "$n" ]'
read -r rp rf <<<"${n:-0 1}"
check "statistics.csv agrees with lifelines/scipy ($rp checks)" '[ "$rf" = 0 ] && [ "$rp" -gt 300 ]'

# the sample lab's designs differ in life: the report finds it, in words
check "index.html states a difference in life" \
    'grep -q "lives longer than" "$dir/index.html"'
check "the log names the statistics stage" 'grep -q "stage=statistics groups=4" "$tmp/demo.err"'
check "survival and correlation plots" \
    '[ -s "$dir/plots/survival.svg" ] && [ -s "$dir/plots/correlation.svg" ]'
check "summary.pdf has the statistics page" \
    'pdftotext "$dir/summary.pdf" - 2>/dev/null | grep -q "Fleet statistics"'
check "the workbook Statistics sheet holds the CSV rows" '/usr/bin/python3 - "$dir" <<"PY"
import csv, sys
import openpyxl
d = sys.argv[1]
ws = openpyxl.load_workbook(d + "/workbook.xlsx", read_only=True)["Statistics"]
sheet = [["" if v is None else v for v in r] for r in ws.iter_rows(values_only=True)]
with open(d + "/results/statistics.csv", newline="") as f:
    rows = list(csv.reader(f))
assert len(sheet) == len(rows), (len(sheet), len(rows))
for s, r in zip(sheet[1:], rows[1:]):
    assert [str(x) for x in s[:6]] == r[:6], (s, r)
    assert (s[6] == "" and r[6] == "") or abs(float(s[6]) - float(r[6])) <= 1e-12 * max(1, abs(float(r[6]))), (s, r)
PY'

# off: no file, no sheet, no section
check "statistics.enabled false runs" 'run off "statistics: {enabled: false}"'
d2=$(cat "$tmp/off.out")
check "disabled: no statistics.csv, no section" \
    '[ ! -e "$d2/results/statistics.csv" ] && ! grep -q "id=\"statistics\"" "$d2/index.html"'

# named pairs and no correction
check "compare a named pair" \
    'run pair "statistics: {compare: [\"LFP-18650-A vs NCA-21700-C\"], correction: none}"'
d3=$(cat "$tmp/pair.out")
check "one pair compared" \
    '[ "$(grep -c "^logrank,LFP-18650-A,NCA-21700-C,cycle_life,,logrank_p," "$d3/results/statistics.csv")" = 1 ] &&
     [ "$(grep -c "^logrank,[^a]" "$d3/results/statistics.csv")" = 5 ]'

# bad settings: one message with file and line, exit 78, no report
bad_case() { # NAME EXPECTED-TEXT YAML
    case_name=$1 want=$2
    run "$1" "$3"
    rc=$?
    check "$1: exit 78 (got $rc)" '[ "$rc" = 78 ]'
    check "$1: one message naming file:line and '$2'" \
        '[ "$(grep -c "^cellpipe: .*$case_name.yaml:[0-9]*:.* $want" "$tmp/$case_name.err")" = 1 ]'
    check "$1: no report published" '[ ! -d "$tmp/reports/$case_name/2026-01-15" ]'
}
bad_case unknownmetric "unknown per-cell column in metrics 'warp_factor'" \
    "statistics: {metrics: [fade_rate, warp_factor]}"
bad_case textmetric "metrics need numbers; text column 'chemistry'" \
    "statistics: {metrics: [chemistry]}"
bad_case badgroup "unknown metadata column in group_by 'colour'" "statistics: {group_by: colour}"
bad_case badpair "expected 'all' or pairs" "statistics: {compare: [LFP-18650-A]}"
bad_case nogroup "no cell has group 'XYZ'" "statistics: {compare: [\"XYZ vs LFP-18650-A\"]}"
# an on-demand override is named as the option, not as a line of the file
"$CELLPIPE" run pipelines/demo.yaml --set 'statistics.metrics=[foo]' --date 2026-01-15 \
    --out "$tmp/reports" >/dev/null 2>"$tmp/set.err"
rc=$?
check "--set statistics.metrics=[foo]: exit 78 naming the option (got $rc)" \
    '[ "$rc" = 78 ] && grep -q "^cellpipe: --set statistics.metrics=\[foo\]: unknown per-cell column" "$tmp/set.err"'
finish
