#!/usr/bin/env bash
# A fleet larger than plots.max_cells and report.summary_cells (docs/plots.md "Large fleets"),
# read back with pdftotext: the curve plots say how many cells they draw, summary.pdf lists
# the capped number of cells and says where the rest is, the cells it lists are the flagged
# ones and the earliest end of life (checked against results/cells.csv), and the outputs are
# byte-identical on a second run.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
PY=/usr/bin/python3
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok; else ko "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v pdftotext >/dev/null || [ ! -x "$CELLPIPE" ]; then
    echo "SKIP scale: pdftotext or $CELLPIPE missing"
    echo "scale: 0 passed, 0 failed, 1 skipped"; exit 0
fi

cat > "$tmp/fleet.yaml" <<'EOF'
name: fleet
source: {kind: sample, cells: 150, cycles: 300, seed: 7}
plots: {max_cells: 12}
report: {summary_cells: 20, html: false}
workbook: {enabled: false}
mlflow: {enabled: false}
EOF
run() { "$CELLPIPE" run "$tmp/fleet.yaml" --date 2026-01-01 --out "$1" >"$1.log" 2>&1; }
run "$tmp/a"; rc=$?
check "run exits 0 (got $rc)" "[ $rc = 0 ]"
rep=$tmp/a/fleet/2026-01-01
pdftotext -layout "$rep/plots/retention_by_design.pdf" "$tmp/ret.txt" 2>/dev/null
check "retention plot says 12 of 150 cells drawn" "grep -q '12 of 150 cells drawn' $tmp/ret.txt"
check "retention plot names the band" "grep -q 'Median, 5.95 % of cells' $tmp/ret.txt"
pdftotext -layout "$rep/plots/coulombic_efficiency.pdf" "$tmp/ce.txt" 2>/dev/null
check "CE plot says 12 of 150 cells drawn" "grep -q '12 of 150 cells drawn' $tmp/ce.txt"
pdftotext -layout "$rep/summary.pdf" "$tmp/sum.txt" 2>/dev/null
check "fleet table capped at 20" "grep -q 'Fleet: 20 of 150 cells' $tmp/sum.txt"
check "fleet table says where the rest is" \
    "grep -q '130 more cells are in results/cells.csv' $tmp/sum.txt"

# The fleet table's cells, in order, against a choice made here from results/cells.csv:
# flagged (attention) first, then the earliest end of life, listed earliest end of life first.
$PY - "$rep/results/cells.csv" "$tmp/sum.txt" > "$tmp/rows.out" 2>&1 <<'EOF'
import csv, math, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def num(v):
    try:
        return float(v)
    except ValueError:
        return math.nan
def eol(r):
    o, f = num(r.get("eol_observed", "")), num(r.get("eol_forecast", ""))
    return o if o == o and o >= 0 else f if f == f else math.inf
# "kind: reason; kind: reason"; these kinds are notes on method, the rest need attention
NOTES = {"fleet_fallback", "no_siblings", "no_forecast", "too_few_cycles"}
def att(r):
    kinds = re.findall(r"(?:^|; )([a-z_0-9]+): ", r.get("flags", ""))
    return any(k not in NOTES for k in kinds)
order = sorted(range(len(rows)), key=lambda i: (eol(rows[i]), i))
nflag = sum(att(rows[i]) for i in order)
want_f = min(nflag, 20)
tf = to = 0
want = []
for i in order:
    if att(rows[i]) and tf < want_f:
        want.append(rows[i]["cell_id"]); tf += 1
    elif not att(rows[i]) and to < 20 - want_f:
        want.append(rows[i]["cell_id"]); to += 1
text = open(sys.argv[2]).read()
fleet = text[text.index("Fleet: 20 of 150"):]
got = [m.group(1) for m in re.finditer(r"^\s*(cell-\d+)\s", fleet, re.M)]
print("want", want)
print("got ", got[:20])
sys.exit(0 if got[:20] == want and len(got) >= 20 else 1)
EOF
rows_rc=$?
check "fleet rows are the flagged, then the earliest end of life (see $tmp/rows.out)" \
    "[ $rows_rc = 0 ]"

run "$tmp/b"
check "summary.pdf byte-identical on a rerun" \
    "cmp -s $rep/summary.pdf $tmp/b/fleet/2026-01-01/summary.pdf"
check "plots byte-identical on a rerun" "diff -r $rep/plots $tmp/b/fleet/2026-01-01/plots >/dev/null"

echo "scale: $pass passed, $fail failed"
[ "$fail" = 0 ]
