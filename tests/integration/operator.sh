#!/usr/bin/env bash
# What engineers and operators use around a run (README "On-demand runs", "Watching the
# nightly run"): --set and --select overrides checked like the file, validate --print,
# the closing summary line, progress on a terminal only, and the Prometheus metrics file.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok; else ko "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/p.yaml" <<YAML
name: op
source:
  kind: sample
  cells: 8
  cycles: 300
select:
  test_status: [active, completed]
fits:
  threshold: 0.8
YAML
run() { env -u MLFLOW_TRACKING_URI CI= "$CELLPIPE" run "$tmp/p.yaml" --out "$tmp/r" "$@"; }
json() { "$PY" -c "import json,sys; m=json.load(open(sys.argv[1])); print($1)" "$2"; }

# --set: a schema key, checked like the file; the manifest records it and the config in effect
run --date 2026-02-01 --set fits.threshold=0.7 >"$tmp/out" 2>"$tmp/err"
check "run with --set exits 0" '[ $? = 0 ]'
rep=$tmp/r/op/2026-02-01
check "stdout is the report path alone" '[ "$(cat "$tmp/out")" = "$rep" ]'
check "the manifest has the threshold in effect" \
    '[ "$(json "m[\"config\"][\"fits\"][\"threshold\"]" "$rep/manifest.json")" = 0.7 ]'
check "the manifest records the overrides" \
    '[ "$(json "m[\"overrides\"][0]" "$rep/manifest.json")" = "--set fits.threshold=0.7" ]'
run --date 2026-02-12 --set 'select.test_status=[completed]' >/dev/null 2>&1
check "a --set list replaces the file's list" \
    '! grep -q ",active," "$tmp/r/op/2026-02-12/results/cells.csv" &&
     [ "$(json "\",\".join(m[\"config\"][\"select\"][\"test_status\"])" \
         "$tmp/r/op/2026-02-12/manifest.json")" = completed ]'

# errors name the option, exit 78, nothing published
bad_set() { # option value, expected message part
    run --date 2026-02-02 "$@" >/dev/null 2>"$tmp/e"
    local rc=$? want="cellpipe: $1 $2: "
    check "$* exits 78 (got $rc)" '[ $rc = 78 ]'
    check "$* message names the option: $(grep '^cellpipe: ' "$tmp/e" | head -n1)" \
        'grep -qF -- "$want" "$tmp/e"'
}
bad_set --set fits.treshold=0.7
grep -q "did you mean 'threshold'" "$tmp/e" && ok || ko "unknown key gets the file's hint"
bad_set --set fits.threshold=abc
grep -q "expected a number for 'threshold'" "$tmp/e" && ok || ko "a bad number says so"
bad_set --set fits.threshold=2
bad_set --set 'select.design_name=[a, b'
bad_set --set name.sub=1
bad_set --select nosuch=1
grep -q "unknown metadata column 'nosuch'" "$tmp/e" && ok || ko "--select unknown column"
bad_set --select design_name=
check "no failed run published" '[ ! -e "$tmp/r/op/2026-02-02" ]'

# --select is ANDed with the pipeline's select
design=$("$PY" -c "import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(r[0]['design_name'])" \
    "$rep/results/cells.csv")
run --date 2026-02-03 --select "design_name=$design" >/dev/null 2>&1
check "run with --select exits 0" '[ $? = 0 ]'
"$PY" - "$tmp/r/op/2026-02-01/results/cells.csv" "$tmp/r/op/2026-02-03/results/cells.csv" \
    "$design" <<'PYEOF' && ok || ko "--select keeps exactly the design's cells of the pipeline's select"
import csv, sys
full = list(csv.DictReader(open(sys.argv[1])))
sel = list(csv.DictReader(open(sys.argv[2])))
want = sorted(r["cell_id"] for r in full if r["design_name"] == sys.argv[3])
got = sorted(r["cell_id"] for r in sel)
statuses = {r["test_status"] for r in sel}
sys.exit(0 if got == want and got and statuses <= {"active", "completed"} else 1)
PYEOF

# validate --print: overrides and ${VAR} expanded, no password
DATABASE_URL='postgresql://lab:hunter2-secret@db.example:5432/lab?sslmode=require' \
    "$CELLPIPE" validate "$tmp/p.yaml" --print --set fits.threshold=0.65 \
    --set 'source.dsn=${DATABASE_URL}' >"$tmp/print" 2>&1
check "validate --print exits 0" '[ $? = 0 ]'
check "validate --print shows the override" \
    '[ "$(json "m[\"fits\"][\"threshold\"]" "$tmp/print")" = 0.65 ]'
check "validate --print expands variables" 'grep -q "db.example:5432" "$tmp/print"'
check "validate --print never shows the password" '! grep -q hunter2 "$tmp/print"'

# the closing summary line and its log twin
run --date 2026-02-04 >/dev/null 2>"$tmp/err"
rep=$tmp/r/op/2026-02-04
cells=$(json 'm["counts"]["cells"]' "$rep/manifest.json")
last=$(tail -n 1 "$tmp/err")
check "last line is the summary: $last" \
    '[[ "$last" == "cellpipe: published $rep: $cells cells, "*" past end of life, "*" need attention, "*" s" ]]'
check "the log has its key=value twin" \
    'grep -q "stage=done status=published report=\"$rep\" cells=$cells .* exit=0" "$tmp/err"'
run --date 2026-02-05 --set fits.threshold=abc >/dev/null 2>"$tmp/err"
check "a failed run's last line says so" \
    '[[ "$(tail -n 1 "$tmp/err")" == "cellpipe: failed after "*", nothing published (exit 78)" ]]'

# progress: on a terminal only
if command -v script >/dev/null 2>&1; then
    TERM=xterm CI= script -qfec "env -u MLFLOW_TRACKING_URI CI= '$CELLPIPE' run '$tmp/p.yaml' \
        --out '$tmp/r' --date 2026-02-06" "$tmp/tty" >/dev/null 2>&1
    check "a terminal gets progress lines" 'grep -qa $'"'"'\r\033\[Kmodels: '"'"' "$tmp/tty"'
    check "progress shows counts" 'grep -qaE "cells fitted" "$tmp/tty"'
    TERM=xterm script -qfec "env -u MLFLOW_TRACKING_URI CI=true '$CELLPIPE' run '$tmp/p.yaml' \
        --out '$tmp/r' --date 2026-02-07" "$tmp/tty-ci" >/dev/null 2>&1
    check "CI gets no progress" '! grep -qa $'"'"'\033\[K'"'"' "$tmp/tty-ci"'
else
    echo "SKIP progress: no script(1)"
    skip=$((skip + 1))
fi
run --date 2026-02-08 >/dev/null 2>"$tmp/pipe"
check "a pipe gets no progress" '! grep -qa $'"'"'\033'"'"' "$tmp/pipe"'
check "run.log has no progress" '! grep -qa $'"'"'\033'"'"' "$tmp/r/op/2026-02-08/run.log"'

# the metrics file: figures of the run, last success kept across a failure
m=$tmp/metrics/op.prom
mkdir -p "$tmp/metrics"
run --date 2026-02-09 --metrics-file "$m" >/dev/null 2>&1
"$PY" - "$m" "$tmp/r/op/2026-02-09/manifest.json" 0 <<'PYEOF' && ok || ko "metrics of a passing run"
import json, re, sys
text = open(sys.argv[1]).read()
man = json.load(open(sys.argv[2]))
vals = {}
for line in text.splitlines():
    if line.startswith("#"):
        assert re.match(r"# (HELP|TYPE) cellpipe_\w+ ", line), line
        continue
    name, labels, v = re.match(r'(cellpipe_\w+)\{pipeline="op"\} (\S+)$', line).group(1, 0, 2)
    vals[name] = float(v)
c = man["counts"]
ok = (vals["cellpipe_last_run_exit_code"] == int(sys.argv[3])
      and vals["cellpipe_cells"] == c["cells"]
      and vals["cellpipe_attention_cells"] == c["flagged_cells"]
      and vals["cellpipe_cells_past_eol"] == c["cells_past_eol"]
      and vals["cellpipe_last_success_timestamp_seconds"] == vals["cellpipe_last_run_timestamp_seconds"]
      and vals["cellpipe_last_run_duration_seconds"] > 0
      and "cellpipe_mlflow_pending_calls" in vals)
if not ok:
    print(vals, c)
sys.exit(0 if ok else 1)
PYEOF
success=$(grep '^cellpipe_last_success_timestamp_seconds' "$m" | cut -d' ' -f2)
sleep 1
run --date 2026-02-10 --metrics-file "$m" --set fits.threshold=abc >/dev/null 2>&1
check "a failed run writes its exit code" 'grep -q "^cellpipe_last_run_exit_code{pipeline=\"op\"} 78$" "$m"'
check "a failed run keeps the last success time" \
    'grep -q "^cellpipe_last_success_timestamp_seconds{pipeline=\"op\"} $success$" "$m"'
check "a failed run's time is later" \
    '[ "$(grep "^cellpipe_last_run_timestamp_seconds" "$m" | cut -d" " -f2 | cut -d. -f1)" -gt "${success%.*}" ]'
check "no temporary file is left beside it" '[ "$(ls "$tmp/metrics")" = op.prom ]'
run --date 2026-02-11 --metrics-file "$tmp/no-such-dir/x.prom" >/dev/null 2>"$tmp/e"
check "an unwritable metrics file is an error (73)" '[ $? = 73 ] && grep -q "metrics file" "$tmp/e"'

echo "operator: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
