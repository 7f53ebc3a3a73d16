#!/usr/bin/env bash
# The sinks of one registry group write at once (report.threads): the report is byte for byte
# the one a run writing them one after another gives. Only what records the run itself may
# differ: run.log, the MLflow journal's ids and clocks, the manifest's timings and clocks.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }

cat >"$tmp/p.yaml" <<YAML
name: par
source:
  kind: sample
  seed: 11
  cells: 12
  cycles: 400
  life_spread: 2.5
fits:
  threshold: 0.8
mlflow:
  enabled: true # no tracking URI: the journal only
report:
YAML
for t in 1 4; do # (the same pipeline file, so no path differs)
    "$CELLPIPE" --quiet run "$tmp/p.yaml" --out "$tmp/out$t" --date 2026-01-01 \
        --set report.threads=$t >"$tmp/log$t" 2>&1
    check "report.threads=$t: the run publishes" "[ $? = 0 ] && [ -f '$tmp/out$t/par/2026-01-01/manifest.json' ]"
done
a=$tmp/out1/par/2026-01-01 b=$tmp/out4/par/2026-01-01
(cd "$a" && find . -type f | LC_ALL=C sort) >"$tmp/files1"
(cd "$b" && find . -type f | LC_ALL=C sort) >"$tmp/files4"
check "the same files" "cmp -s '$tmp/files1' '$tmp/files4'"
check "a full report: workbook, summary, plots, html, results" \
    "grep -qx './workbook.xlsx' '$tmp/files1' && grep -qx './summary.pdf' '$tmp/files1' &&
     grep -q '^./plots/.*svg$' '$tmp/files1' && grep -qx './index.html' '$tmp/files1' &&
     grep -qx './results/cycles.csv' '$tmp/files1'"
differ=0
while read -r f; do
    case $f in ./run.log | ./manifest.json | ./mlflow/journal.ndjson) continue ;; esac
    if ! cmp -s "$a/$f" "$b/$f"; then differ=$((differ + 1)); echo "  differs: $f"; fi
done <"$tmp/files1"
check "every output file is byte-identical" "[ $differ = 0 ]"
# The manifest: the same but for the numbers that are times, the --set and the folder.
cat >"$tmp/strip.py" <<'PY'
import json, sys
def strip(v, key=""):
    if isinstance(v, dict):
        return {k: strip(x, k) for k, x in v.items() if k not in ("timings_ms", "threads")}
    if isinstance(v, list):
        return [strip(x, key) for x in v if not (isinstance(x, str) and "report.threads" in x)]
    if isinstance(v, str):
        return v.replace(sys.argv[2], "ROOT")
    if isinstance(v, (int, float)) and any(w in key for w in ("time", "_ms", "elapsed", "started", "finished")):
        return 0
    return v
m = strip(json.load(open(sys.argv[1])))
t = json.load(open(sys.argv[1]))["timings_ms"]
print(json.dumps(m, sort_keys=True, indent=1))
print("timings", sorted(t))
PY
$PY "$tmp/strip.py" "$a/manifest.json" "$tmp/out1" >"$tmp/m1"
$PY "$tmp/strip.py" "$b/manifest.json" "$tmp/out4" >"$tmp/m4"
check "the manifests agree but for clocks, and time the same sinks" "diff '$tmp/m1' '$tmp/m4' >'$tmp/mdiff'" ||
    head -n 20 "$tmp/mdiff"
check "the manifest times the parallel sinks" \
    "grep -q \"'workbook'\" '$tmp/m4' && grep -q \"'plots'\" '$tmp/m4' && grep -q \"'results'\" '$tmp/m4'"
echo "parallel: $pass passed, $fail failed"
[ "$fail" = 0 ]
