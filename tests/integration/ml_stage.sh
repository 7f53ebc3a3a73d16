#!/usr/bin/env bash
# The ml stage end to end on the sample lab (docs/ml.md): what results/models.csv,
# predictions.csv and models/<name>/ say is recomputed here in Python from the files alone:
# the saved model applied to features.csv gives predictions.csv, the out-of-fold predictions
# give the cross-validated metrics, the folds are balanced, cells.csv carries the same
# predictions, and a second pipeline that `use:`s the saved model.json predicts the same.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }

cat >"$tmp/train.yaml" <<YAML
name: train
source: {kind: sample, seed: 7, cells: 48, cycles: 1200, life_spread: 2}
mlflow: {enabled: false}
models:
  - name: life
    features: [qd_2, qd_fade_rel, ce_mean, ir_2]
  - name: life_ridge
    algorithm: ridge
  - name: short
    task: classification
    target: cycle_life < 760
  - name: tiny
    train_on: {design_name: [no-such-design]}
YAML
"$CELLPIPE" --quiet run "$tmp/train.yaml" --out "$tmp/out" --date 2026-01-01 >"$tmp/log" 2>&1
rc=$?
check "the training run exits 0 (got $rc)" "[ $rc = 0 ]"
rep="$tmp/out/train/2026-01-01"
check "model=tiny is reported as not trained in the log" "grep -q 'model=tiny not trained' '$tmp/log'"
"$PY" tests/integration/ml_stage_check.py train "$rep" >"$tmp/check" 2>&1
cat "$tmp/check"
check "the training outputs agree with their recomputation" "grep -q '^ALL OK' '$tmp/check'"

pdftotext "$rep/summary.pdf" "$tmp/summary.txt"
check "summary.pdf has the early-life models page" "grep -q 'Early-life models' '$tmp/summary.txt'"
weak=$("$PY" -c 'import csv,sys; print(sum(r["beats_baseline"] == "0" for r in csv.DictReader(open(sys.argv[1]))))' "$rep/results/models.csv")
check "the page warns exactly when a model does not beat its baseline ($weak do not)" \
    "[ \$(grep -c 'do not rely' '$tmp/summary.txt') = \$([ $weak -gt 0 ] && echo 1 || echo 0) ]"
check "index.html has the models section with the baseline verdict" \
    "grep -q '<section id=\"models\">' '$rep/index.html' && [ \$(grep -c 'do not rely on it' '$rep/index.html') = $weak ]"
"$PY" - "$rep" >"$tmp/wb" 2>&1 <<'PY'
import csv, sys, openpyxl
rep = sys.argv[1]
wb = openpyxl.load_workbook(f"{rep}/workbook.xlsx", read_only=True)
for sheet, path in (("Models", "results/models.csv"), ("Predictions", "results/predictions.csv")):
    got = [[("" if v is None else v) for v in r] for r in wb[sheet].iter_rows(values_only=True)]
    want = list(csv.reader(open(f"{rep}/{path}")))
    assert got[0] == want[0], (sheet, got[0], want[0])
    assert len(got) == len(want), (sheet, len(got), len(want))
    for g, w in zip(got[1:], want[1:]):
        for a, b in zip(g, w):
            assert (a == b) if isinstance(a, str) else abs(a - float(b)) <= 1e-12 * max(1, abs(a)), (sheet, a, b)
print("workbook ok")
PY
check "the workbook's Models and Predictions sheets hold the CSVs' values" "grep -q 'workbook ok' '$tmp/wb'"

cat >"$tmp/use.yaml" <<YAML
name: use
source: {kind: sample, seed: 7, cells: 48, cycles: 1200, life_spread: 2}
mlflow: {enabled: false}
models:
  - name: life
    use: $rep/models/life/model.json
YAML
"$CELLPIPE" --quiet run "$tmp/use.yaml" --out "$tmp/out" --date 2026-01-01 >"$tmp/log2" 2>&1
rc=$?
check "the predicting run exits 0 (got $rc)" "[ $rc = 0 ]"
"$PY" tests/integration/ml_stage_check.py use "$tmp/out/use/2026-01-01" "$rep" >"$tmp/check2" 2>&1
cat "$tmp/check2" | grep -v '^ok ' || true
check "the predictions with the saved model equal the training run's" "grep -q '^ALL OK' '$tmp/check2'"
echo "mlstage: $pass passed, $fail failed"
[ "$fail" = 0 ]
