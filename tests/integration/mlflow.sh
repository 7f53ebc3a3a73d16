#!/usr/bin/env bash
# MLflow sink against a REAL `mlflow server` (virtualenv under build/venv, SQLite backend,
# artifacts served, 127.0.0.1, free port). Everything is read back through the REST API by
# tests/integration/mlflow_check.py and compared with the report folder.
#   1. demo run with a tracking URI: experiment, parent + child runs, params, metrics, tags,
#      artifacts;
#   2. the embedded default (no URI): journal only, then `cellpipe mlflow push`;
#   3. fault: the server is killed in the middle of a run; the report is published with MLflow
#      pending and exit 0; restart; push; everything exactly once; push again: nothing changes;
#   4. a deleted experiment is an error that says so;
#   5. the run id and link reach the workbook, summary.pdf, index.html and the e-mail (a local
#      aiosmtpd Maildir);
#   6. a pipeline that fails validation (exit 65) leaves a FAILED parent run tagged with the
#      error and the previous report intact; with the server down the FAILED close waits in
#      <root>/<pipeline>/failed/*.ndjson and `cellpipe mlflow push FILE` sends it, once.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CELLPIPE=${CELLPIPE:-$ROOT/build/cellpipe}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CHECK="$PY $ROOT/tests/integration/mlflow_check.py"
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
expect() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }

# Run the checker and count its PASS/FAIL lines.
tally() {
    local out
    out=$("$@" 2>&1)
    echo "$out"
    pass=$((pass + $(grep -c '^PASS' <<<"$out")))
    fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
    if ! grep -q '^PASS' <<<"$out"; then bad "checker ran: $*"; fi
}

. tests/integration/lib/mlflow_server.bash

if ! command -v curl >/dev/null || ! mlflow_venv; then
    echo "SKIP mlflow: could not install mlflow into $MLFLOW_VENV"
    skip=1
    finish
fi

TMP=$(mktemp -d)
PORT=$(free_port)
URI=http://127.0.0.1:$PORT
cleanup() { mlflow_stop; rm -rf "$TMP"; }
trap cleanup EXIT

if ! mlflow_start "$TMP/server" "$PORT"; then
    bad "mlflow server starts"
    finish
fi
ok "mlflow server starts"
manifest_status() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["mlflow"]["status"])' "$1"; }
unacked() { "$PY" - "$1" <<'EOF'
import json, sys
ops, acks = set(), set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "op" in o: ops.add(o["seq"])
    if "ack" in o: acks.add(o["ack"])
print(len(ops - acks), len(acks))
EOF
}

# 1. demo run logged live
export -n MLFLOW_TRACKING_URI
REP=$TMP/reports
# (credentials the server ignores: they must not show up anywhere)
TOKEN=tok-$$-s3cret PW=pw-$$-s3cret
MLFLOW_TRACKING_URI=http://ann:$PW@127.0.0.1:$PORT MLFLOW_TRACKING_TOKEN=$TOKEN \
    "$CELLPIPE" run pipelines/demo.yaml --out "$REP" --date 2026-01-05 >"$TMP/run1.log" 2>&1
expect "demo run exits 0" "[ $? = 0 ]"
D1=$REP/demo/2026-01-05
expect "no secret in the report folder" "! grep -rq -e '$TOKEN' -e '$PW' '$D1'"
expect "no secret in the run's log lines" "! grep -q -e '$TOKEN' -e '$PW' '$TMP/run1.log'"
EXP1=$(curl -s "$URI/api/2.0/mlflow/experiments/get-by-name?experiment_name=cellpipe/demo" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["experiment"]["experiment_id"])')
curl -s -H 'Content-Type: application/json' -X POST "$URI/api/2.0/mlflow/runs/search" \
    -d "{\"experiment_ids\": [\"$EXP1\"], \"max_results\": 1000}" >"$TMP/runs1.json"
expect "no secret in MLflow params or tags" \
    "grep -q cellpipe.journal_key '$TMP/runs1.json' && ! grep -q -e '$TOKEN' -e '$PW' '$TMP/runs1.json'"
expect "manifest says logged" "[ \"$(manifest_status "$D1/manifest.json")\" = logged ]"
git -C pipelines rev-parse HEAD >/dev/null 2>&1 && GIT=--git || GIT=
tally $CHECK verify --uri "$URI" --report "$D1" --pipeline pipelines/demo.yaml $GIT

# 2. embedded default: journal only, then push
env -u MLFLOW_TRACKING_URI "$CELLPIPE" run pipelines/demo.yaml --out "$REP" --date 2026-01-06 \
    >"$TMP/run2.log" 2>&1
expect "journal-only run exits 0" "[ $? = 0 ]"
D2=$REP/demo/2026-01-06
expect "manifest says journal" "[ \"$(manifest_status "$D2/manifest.json")\" = journal ]"
read -r pend acked < <(unacked "$D2/mlflow/journal.ndjson")
expect "journal-only: calls written, none acknowledged" "[ $pend -gt 0 ] && [ $acked = 0 ]"
"$CELLPIPE" mlflow push "$D2" --tracking-uri "$URI" >"$TMP/push2.out" 2>&1
expect "push of a journal-only report exits 0" "[ $? = 0 ]"
expect "after push the manifest says logged" \
    "[ \"$(manifest_status "$D2/manifest.json")\" = logged ]"
tally $CHECK verify --uri "$URI" --report "$D2" --pipeline pipelines/demo.yaml

# 3. fault: the server dies in the middle of a run
cat >"$TMP/fault.yaml" <<'EOF'
name: fault
source:
  kind: sample
  seed: 7
  cells: 30
  cycles: 1000
mlflow:
  cycle_metrics: true
EOF
MLFLOW_TRACKING_URI=$URI MLFLOW_HTTP_REQUEST_MAX_RETRIES=1 MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=0.2 \
    MLFLOW_HTTP_REQUEST_TIMEOUT=10 \
    "$CELLPIPE" run "$TMP/fault.yaml" --out "$REP" --date 2026-01-05 >"$TMP/run3.log" 2>&1 &
RUN_PID=$!
# parent + 5 children on the server: the MLflow stage is under way
$CHECK wait-runs --uri "$URI" --experiment cellpipe/fault --min 6 --timeout 300
expect "fault run reached the MLflow stage" "[ $? = 0 ]"
mlflow_stop hard
wait "$RUN_PID"
expect "fault run still exits 0" "[ $? = 0 ]"
D3=$REP/fault/2026-01-05
expect "report published with MLflow pending" \
    "[ \"$(manifest_status "$D3/manifest.json")\" = pending ]"
expect "the run log warns" "grep -q 'level=warn stage=mlflow status=pending' '$TMP/run3.log'"
read -r pend acked < <(unacked "$D3/mlflow/journal.ndjson")
expect "server stopped mid-run ($acked acknowledged, $pend pending)" \
    "[ $pend -gt 0 ] && [ $acked -gt 0 ]"
if mlflow_start "$TMP/server" "$PORT"; then ok "server restarts"; else bad "server restarts"; finish; fi
"$CELLPIPE" mlflow push "$D3" --tracking-uri "$URI" >"$TMP/push3.out" 2>&1
expect "push after the fault exits 0" "[ $? = 0 ]"
expect "after push the manifest says logged" \
    "[ \"$(manifest_status "$D3/manifest.json")\" = logged ]"
tally $CHECK verify --uri "$URI" --report "$D3" --pipeline "$TMP/fault.yaml" --cycle-metrics
$CHECK snapshot --uri "$URI" --experiment cellpipe/fault >"$TMP/snap1.json"
cp "$D3/manifest.json" "$TMP/manifest1.json"
"$CELLPIPE" mlflow push "$D3" --tracking-uri "$URI" >"$TMP/push4.out" 2>&1
expect "second push exits 0" "[ $? = 0 ]"
expect "second push sends nothing" "grep -q '^pushed 0 calls' '$TMP/push4.out'"
$CHECK snapshot --uri "$URI" --experiment cellpipe/fault >"$TMP/snap2.json"
expect "second push leaves the manifest alone" "cmp -s '$TMP/manifest1.json' '$D3/manifest.json'"
expect "second push changes nothing on the server" \
    "[ -s '$TMP/snap1.json' ] && cmp -s '$TMP/snap1.json' '$TMP/snap2.json'"

# 4. a deleted experiment is an error that says so
EXP=$(curl -s "$URI/api/2.0/mlflow/experiments/get-by-name?experiment_name=cellpipe/demo" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["experiment"]["experiment_id"])')
curl -s -H 'Content-Type: application/json' -X POST "$URI/api/2.0/mlflow/experiments/delete" \
    -d "{\"experiment_id\": \"$EXP\"}" >/dev/null
env -u MLFLOW_TRACKING_URI "$CELLPIPE" run pipelines/demo.yaml --out "$REP" --date 2026-01-07 \
    >/dev/null 2>&1
"$CELLPIPE" mlflow push "$REP/demo/2026-01-07" --tracking-uri "$URI" >"$TMP/push5.out" 2>&1
rc=$?
expect "push to a deleted experiment exits 78" "[ $rc = 78 ]"
expect "and says the experiment is deleted" \
    "grep -q \"experiment 'cellpipe/demo' is deleted\" '$TMP/push5.out'"


# 5. the link reaches the workbook, the PDF, the HTML page and the e-mail
MAILDIR=$TMP/mail SMTP_PORT=$(free_port)
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
    >"$TMP/smtp.log" 2>&1 &
SMTP_PID=$!
for _ in $(seq 50); do
    "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$SMTP_PORT),0.2)" 2>/dev/null &&
        break
    sleep 0.1
done
cat >"$TMP/links.yaml" <<EOF
name: links
source:
  kind: sample
  seed: 3
  cells: 4
  cycles: 300
email:
  enabled: true
  when: always
  smtp_url: smtp://127.0.0.1:$SMTP_PORT
  from: cellpipe@example.org
  to: [lab@example.org]
EOF
MLFLOW_TRACKING_URI=$URI "$CELLPIPE" run "$TMP/links.yaml" --out "$REP" --date 2026-01-05 \
    >"$TMP/run6.log" 2>&1
expect "links run exits 0" "[ $? = 0 ]"
tally $CHECK links --uri "$URI" --report "$REP/links/2026-01-05" --maildir "$MAILDIR"
kill "$SMTP_PID" 2>/dev/null
wait "$SMTP_PID" 2>/dev/null

# 6. a pipeline that fails closes its parent run FAILED
cat >"$TMP/failing.yaml" <<'EOF'
name: failing
source:
  kind: sample
  cells: 5
  cycles: 200
validate:
  rules:
    - rule: range
      column: discharge_capacity_ah
      min: 0
      max: ${CP_T_MAX:-1000}
      policy: fail
      threshold: 0
EOF
tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum); }
MLFLOW_TRACKING_URI=$URI "$CELLPIPE" run "$TMP/failing.yaml" --out "$REP" --date 2026-01-05 \
    >"$TMP/run7.log" 2>&1
expect "a first good run of the failing pipeline exits 0" "[ $? = 0 ]"
D7=$REP/failing/2026-01-05
sum7=$(tree_sum "$D7")
CP_T_MAX=0.5 MLFLOW_TRACKING_URI=$URI "$CELLPIPE" run "$TMP/failing.yaml" --out "$REP" \
    --date 2026-01-05 >"$TMP/run8.log" 2>&1
rc=$?
expect "the failing run exits 65" "[ $rc = 65 ]"
expect "the previous report is intact" "[ \"\$(tree_sum '$D7')\" = '$sum7' ]"
tally $CHECK failed --uri "$URI" --experiment cellpipe/failing --error discharge_capacity_ah
FJ=$(ls "$REP"/failing/failed/*.ndjson 2>/dev/null | head -1)
expect "the failed run's journal is kept under failed/" "[ -n '$FJ' ]"
"$CELLPIPE" mlflow push "$FJ" --tracking-uri "$URI" >"$TMP/push6.out" 2>&1
expect "pushing a logged failed journal sends nothing" "grep -q '^pushed 0 calls' '$TMP/push6.out'"
# the server unreachable: the FAILED close waits in the kept journal, pushed later
rm -f "$REP"/failing/failed/*.ndjson
DOWN=http://127.0.0.1:$(free_port)
CP_T_MAX=0.5 MLFLOW_TRACKING_URI=$DOWN MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 \
    "$CELLPIPE" run "$TMP/failing.yaml" --out "$REP" --date 2026-01-06 >"$TMP/run9.log" 2>&1
expect "failing run with the server down exits 65" "[ $? = 65 ]"
FJ=$(ls "$REP"/failing/failed/*.ndjson 2>/dev/null | head -1)
read -r pend acked < <(unacked "${FJ:-/dev/null}" 2>/dev/null || echo 0 0)
expect "its journal is kept, calls pending ($pend)" "[ -n '$FJ' ] && [ ${pend:-0} -gt 0 ] && [ ${acked:-1} = 0 ]"
expect "the log says so" "grep -q 'stage=mlflow-failed status=pending' '$TMP/run9.log'"
"$CELLPIPE" mlflow push "$FJ" --tracking-uri "$URI" >"$TMP/push7.out" 2>&1
expect "push of the failed journal exits 0" "[ $? = 0 ]"
tally $CHECK failed --uri "$URI" --experiment cellpipe/failing --error discharge_capacity_ah --runs 2
"$CELLPIPE" mlflow push "$FJ" --tracking-uri "$URI" >"$TMP/push8.out" 2>&1
expect "a second push sends nothing" "grep -q '^pushed 0 calls' '$TMP/push8.out'"
tally $CHECK failed --uri "$URI" --experiment cellpipe/failing --error discharge_capacity_ah --runs 2

finish
