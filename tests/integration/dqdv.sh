#!/usr/bin/env bash
# dQ/dV end to end: pipelines over raw time series, read back with real tools.
#  - the real INL pouch cell (battdat/batterydata_inl/p492-13-raw.csv, skipped by name when the
#    real data is absent): plots/dqdv.svg parses (xmllint) and names the full cycles of the
#    published summary (p492-13-summary.csv) in its legend; results/dqdv.csv has the curves,
#    whose integral over voltage is the published discharge capacity of each full cycle;
#  - generated Arbin files with a known answer: dQ/dV of V = 4 - Q/s is s Ah/V, and the Severson
#    features of cycle 100 (s = 0.9) minus cycle 10 (s = 1) reach results/cells.csv; a `select`
#    keeps only the selected cell's curves.
# Checks are computed independently with /usr/bin/python3 (numpy, csv).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
REAL=${CELLPIPE_REAL_DATA:-$PWD/../shared/data}
PY=/usr/bin/python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok; else ko "$1"; fi; }
tmp=$(mktemp -d)
trap "[ -n \"${KEEP:-}\" ] || rm -rf $tmp" EXIT

for tool in xmllint pdftotext; do
    if ! command -v $tool >/dev/null; then
        echo "SKIP dqdv: $tool missing (deployment/bootstrap installs it)"
        echo "0 passed, 0 failed, 1 skipped"; exit 0
    fi
done
if ! $PY -c 'import numpy' 2>/dev/null; then
    echo "SKIP dqdv: numpy missing for $PY (python3-numpy)"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
fi

svg_desc() { xmllint --xpath 'string(/*[local-name()="svg"]/*[local-name()="desc"])' "$1"; }
svg_title() { xmllint --xpath 'string(/*[local-name()="svg"]/*[local-name()="title"])' "$1"; }

# The INL raw file has two cycles without discharge (3: charge only, 7: EIS): the default
# `required` rule (5 %) would stop the run, so this pipeline warns instead.
run_inl() {
    local raw=$REAL/battdat/batterydata_inl/p492-13-raw.csv
    local sum=$REAL/battdat/batterydata_inl/p492-13-summary.csv
    if [ ! -f "$raw" ] || [ ! -f "$sum" ]; then
        echo "SKIP dqdv inl p492-13: no real data"; skip=$((skip + 1)); return
    fi
    cat >"$tmp/inl.yaml" <<EOF
name: inl
source:
  kind: files
  paths: [$raw]
validate:
  rules:
    - rule: required
      policy: warn
      threshold: 1
    - rule: duplicates
      column: cycle_index
EOF
    "$CELLPIPE" run "$tmp/inl.yaml" --out "$tmp/r" --date 2026-01-01 >"$tmp/inl.out" 2>&1
    local rc=$? dir=$tmp/r/inl/2026-01-01
    check "inl run exits 0 (got $rc)" "[ $rc = 0 ]"
    [ $rc = 0 ] || { tail -5 "$tmp/inl.out"; return; }
    local svg=$dir/plots/dqdv.svg
    check "inl plots/dqdv.svg written" "[ -s $svg ]"
    check "inl plots/dqdv.pdf written" "[ -s $dir/plots/dqdv.pdf ]"
    check "inl dqdv.svg is XML" "xmllint --noout $svg 2>/dev/null"
    check "inl dqdv.svg title" "[ \"\$(svg_title $svg)\" = 'Incremental capacity (dQ/dV) by cycle' ]"
    # full cycles: published discharge capacity at least half the cell's largest (cycles 1-9)
    local want
    want=$($PY - "$sum" <<'EOF'
import csv, math, sys
q = {}
for r in csv.DictReader(open(sys.argv[1])):
    c, v = int(r["Cycle_Index"]), float(r["Q_dis"] or "nan")
    if c <= 9 and not math.isnan(v):
        q[c] = v
top = max(q.values())
print(", ".join(f"cycle {c}" for c in sorted(q) if q[c] >= 0.5 * top))
EOF
)
    local desc
    desc=$(svg_desc "$svg")
    check "inl svg desc axes" "[[ \"\$desc\" == *'x: Voltage (V); y: dQ/dV (Ah/V)'* ]]"
    check "inl svg legend is '$want'" "[[ \"\$desc\" == *\"legend: \$want\" ]]"
    check "inl svg panel names the cell" "[[ \"\$desc\" == *'panel: p492-13'* ]]"
    pdftotext "$dir/plots/dqdv.pdf" "$tmp/inl-dqdv.txt"
    check "inl dqdv.pdf text has the legend" "grep -q 'cycle 9' $tmp/inl-dqdv.txt"
    pdftotext "$dir/summary.pdf" "$tmp/inl-summary.txt"
    check "inl summary.pdf has the dqdv page" "grep -q 'Incremental capacity (dQ/dV) by cycle' $tmp/inl-summary.txt"
    # results/dqdv.csv: columns, rows, and the curves against the published capacities
    local csv=$dir/results/dqdv.csv
    check "inl results/dqdv.csv header" "[ \"\$(head -n 1 $csv)\" = 'cell_id,cycle_index,voltage_v,dqdv_ah_per_v' ]"
    local out
    out=$($PY - "$csv" "$sum" <<'EOF'
import csv, math, sys
from collections import defaultdict
cur = defaultdict(list)
rows = list(csv.DictReader(open(sys.argv[1])))
bad = [r for r in rows if r["cell_id"] != "p492-13" or not math.isfinite(float(r["dqdv_ah_per_v"]))]
for r in rows:
    cur[int(r["cycle_index"])].append((float(r["voltage_v"]), float(r["dqdv_ah_per_v"])))
q = {int(r["Cycle_Index"]): float(r["Q_dis"] or "nan") for r in csv.DictReader(open(sys.argv[2]))}
msgs = []
if len(rows) < 100 or bad:
    msgs.append(f"{len(rows)} rows, {len(bad)} bad")
for c, pts in cur.items():
    if not q.get(c, 0) > 0:
        msgs.append(f"cycle {c} has a curve but no published discharge")
    area = sum(0.5 * (a[1] + b[1]) * abs(b[0] - a[0]) for a, b in zip(pts, pts[1:]))
    full = q.get(c, 0) >= 0.5 * max(q[k] for k in range(1, 10) if q[k] == q[k])
    if full and abs(area / q[c] - 1) > 0.02:
        msgs.append(f"cycle {c}: integral {area:.6g} Ah vs published {q[c]:.6g} Ah")
for c in (2, 4, 9):
    if c not in cur:
        msgs.append(f"cycle {c} has no curve")
print("; ".join(msgs) or "ok")
EOF
)
    check "inl dqdv.csv rows and integrals ($out)" "[ '$out' = ok ]"
}

# Arbin CSV: per cycle a short charge, then a 1 A discharge of V = 4 - q/s, q from 0 to s Ah
# (s = 0.9 on cycle 100, else 1).
gen_arbin() { # file, cycles
    $PY - "$1" "$2" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
t, dp = 0.0, 0
with open(path, "w") as f:
    f.write("Data_Point,Test_Time,DateTime,Step_Index,Cycle_Index,Current,Voltage,"
            "Charge_Capacity,Discharge_Capacity,Charge_Energy,Discharge_Energy\n")
    def row(step, cyc, i, v, qc, qd):
        global t, dp
        f.write(f"{dp},{t:.3f},{1700000000 + t:.3f},{step},{cyc},{i},{v:.12g},{qc:.12g},{qd:.12g},0,0\n")
        dp += 1
        t += 1.0
    for c in range(1, n + 1):
        s = 0.9 if c == 100 else 1.0
        for k in range(3):
            row(1, c, 1.0, 3.0 + 0.5 * k, 0.5 * k, 0.0)
        for k in range(501):
            q = s * k / 500
            row(2, c, -1.0, 4.0 - q / s, 1.0, q)
EOF
}

run_generated() {
    gen_arbin "$tmp/syn-a.csv" 100
    gen_arbin "$tmp/syn-b.csv" 3
    cat >"$tmp/syn.yaml" <<EOF
name: syn
source:
  kind: files
  paths: [$tmp/syn-a.csv, $tmp/syn-b.csv]
  format: arbin
select:
  cell_id: [syn-a]
validate:
  rules:
    - rule: duplicates
      column: cycle_index
EOF
    "$CELLPIPE" run "$tmp/syn.yaml" --out "$tmp/r" --date 2026-01-01 >"$tmp/syn.out" 2>&1
    local rc=$? dir=$tmp/r/syn/2026-01-01
    check "generated run exits 0 (got $rc)" "[ $rc = 0 ]"
    [ $rc = 0 ] || { tail -5 "$tmp/syn.out"; return; }
    local svg=$dir/plots/dqdv.svg
    check "generated dqdv.svg is XML" "xmllint --noout $svg 2>/dev/null"
    local desc
    desc=$(svg_desc "$svg")
    # 100 full cycles: first, last and ranks 99/4, 99/2, 297/4 rounded
    check "generated legend" "[[ \"\$desc\" == *'legend: cycle 1, cycle 26, cycle 51, cycle 75, cycle 100' ]]"
    check "generated: one panel, the selected cell" "[ \"\$(grep -o 'panel: ' <<<\"\$desc\" | wc -l)\" = 1 ] && [[ \"\$desc\" == *'panel: syn-a;'* ]]"
    local out
    out=$($PY - "$dir/results/dqdv.csv" "$dir/results/cells.csv" <<'EOF'
import csv, math, sys
import numpy as np
msgs = []
rows = list(csv.DictReader(open(sys.argv[1])))
cells = {r["cell_id"]: r for r in csv.DictReader(open(sys.argv[2]))}
if {r["cell_id"] for r in rows} != {"syn-a"}:
    msgs.append("cells in dqdv.csv: " + ",".join(sorted({r["cell_id"] for r in rows})))
if {int(r["cycle_index"]) for r in rows} != set(range(1, 101)):
    msgs.append("cycles in dqdv.csv are not 1..100")
worst = max((abs(float(r["dqdv_ah_per_v"]) - (0.9 if r["cycle_index"] == "100" else 1.0))
             for r in rows), default=1)
if worst > 1e-9:
    msgs.append(f"dQ/dV off by {worst:g}")
if set(cells) != {"syn-a"}:
    msgs.append("cells.csv cells: " + ",".join(sorted(cells)))
# Q10(V) = 4 - V, Q100(V) = 0.9 (4 - V) on 1000 points spanning 3..4 V less 1 % at each end
v = np.linspace(3.99, 3.01, 1000)
dq = 0.9 * (4 - v) - (4 - v)
want = {"dq100_10_log10_var": math.log10(np.var(dq)), "dq100_10_min_ah": dq.min(),
        "dq100_10_mean_ah": dq.mean()}
a = cells.get("syn-a", {})
for k, w in want.items():
    got = float(a.get(k) or "nan")
    if not abs(got - w) <= 1e-9 * abs(w):
        msgs.append(f"{k} {got!r} != {w!r}")
print("; ".join(msgs) or "ok")
EOF
)
    check "generated dqdv.csv and Severson features in cells.csv ($out)" "[ '$out' = ok ]"
}

# Sharded runs carry their curves to `cellpipe merge`: the merged report has the full run's.
run_shards() {
    sed '/^select:/,/^  cell_id:/d; s/^name: syn/name: shd/' "$tmp/syn.yaml" >"$tmp/shd.yaml"
    "$CELLPIPE" --quiet run "$tmp/shd.yaml" --out "$tmp/full" --date 2026-01-01 >/dev/null 2>"$tmp/shd.err"
    check "shards: full run exits 0" "[ $? = 0 ]"
    for i in 0 1; do
        "$CELLPIPE" --quiet run "$tmp/shd.yaml" --shard $i/2 --out "$tmp/s$i" --date 2026-01-01 >/dev/null \
            2>>"$tmp/shd.err"
        check "shard $i/2 exits 0" "[ $? = 0 ]"
    done
    "$CELLPIPE" --quiet merge --out "$tmp/merged" "$tmp/s0/shd/2026-01-01" "$tmp/s1/shd/2026-01-01" >/dev/null \
        2>>"$tmp/shd.err"
    check "merge exits 0 ($(tail -n 1 "$tmp/shd.err"))" "[ $? = 0 ]"
    local full=$tmp/full/shd/2026-01-01 merged=$tmp/merged/shd/2026-01-01
    check "full run has both cells' curves" \
        "[ \"\$(cut -d, -f1 $full/results/dqdv.csv | sort -u | tr '\n' ' ')\" = 'cell_id syn-a syn-b ' ]"
    check "merged dqdv.csv has the full run's rows" \
        "cmp -s <(sort $full/results/dqdv.csv) <(sort $merged/results/dqdv.csv)"
    check "merged dqdv.svg equals the full run's" "cmp -s $full/plots/dqdv.svg $merged/plots/dqdv.svg"
}

run_inl
run_generated
run_shards
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
