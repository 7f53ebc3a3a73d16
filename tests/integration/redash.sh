#!/usr/bin/env bash
# The redash source against tests/fixtures/redash_fixture.py, a FIXTURE replaying Redash's
# documented query API (no Redash server can be installed here): jobs queued, started,
# finished, failed, deferred, scheduled; cached results; a refused key; an unreachable server; a job that never
# ends; a result without the required columns. The report's CSV files are compared with the
# rows the fixture serves.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CELLPIPE=${CELLPIPE:-$ROOT/build/cellpipe}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
expect() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }
# shellcheck source=lib/ports.bash
source tests/integration/lib/ports.bash

TMP=$(mktemp -d)
KEY=fixture-key-$$
FIFO=$TMP/port
mkfifo "$FIFO"
"$PY" tests/fixtures/redash_fixture.py "$KEY" >"$FIFO" &
FX=$!
trap 'kill $FX 2>/dev/null; wait $FX 2>/dev/null; rm -rf "$TMP"' EXIT
read -r _ PORT <"$FIFO"
if [ -z "${PORT:-}" ]; then
    echo "SKIP redash: the fixture did not start"
    skip=1
    finish
fi
URL=http://127.0.0.1:$PORT

pipeline() { # file cells_query cycles_query max_age timeout
    cat >"$1" <<EOF
name: rd
source:
  kind: redash
  cells_query_id: $2
  cycles_query_id: $3
  parameters:
    design: A
  max_age: $4
  timeout_s: $5
EOF
}

# 1. queued -> started -> finished, both queries, then compare the report with the fixture
pipeline "$TMP/rd.yaml" 101 102 0 60
REDASH_URL=$URL REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/rd.yaml" --out "$TMP/reports" \
    --date 2026-01-05 >"$TMP/run1.log" 2>&1
expect "run against the fixture exits 0" "[ $? = 0 ]"
REP=$TMP/reports/rd/2026-01-05
curl -s "$URL/fixture/log" >"$TMP/log1.json"
curl -s "$URL/fixture/data/101/A" >"$TMP/cells.json"
curl -s "$URL/fixture/data/102/A" >"$TMP/cycles.json"
{ "$PY" - "$REP" "$TMP" "$KEY" <<'EOF'
import csv, json, math, sys
rep, tmp, key = sys.argv[1:4]
def check(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
log = json.load(open(tmp + "/log1.json"))
cells_src = json.load(open(tmp + "/cells.json"))["rows"]
cycles_src = json.load(open(tmp + "/cycles.json"))["rows"]
posts = [e for e in log if e["method"] == "POST"]
check("POST /api/queries/<id>/results for both queries",
      [p["path"] for p in posts] == ["/api/queries/101/results", "/api/queries/102/results"], posts)
check("parameters and max_age sent", all(p["body"] == {"parameters": {"design": "A"}, "max_age": 0}
                                         for p in posts), [p["body"] for p in posts])
check("API key sent as 'Authorization: Key'", all(e["auth_ok"] for e in log))
statuses = [e.get("job_status") for e in log if e["path"].startswith("/api/jobs/")]
# query 101: queued -> started -> finished; 102: deferred -> scheduled -> queued -> started
# -> finished (the POST answers the first status, each poll the next)
check("jobs polled until finished (3), through 1, 2, 6, 7", statuses == [2, 3, 7, 1, 2, 3],
      statuses)
check("results fetched from /api/query_results/<id>",
      sum(e["path"].startswith("/api/query_results/") for e in log) == 2)
cells = list(csv.DictReader(open(rep + "/results/cells.csv")))
check("cells = the query's rows", sorted(c["cell_id"] for c in cells) ==
      sorted(r["cell_id"] for r in cells_src), [c["cell_id"] for c in cells])
by_id = {c["cell_id"]: c for c in cells}
bad = [(r["cell_id"], k) for r in cells_src for k, col in
       (("design_name", "design_name"), ("chemistry", "chemistry"))
       if by_id.get(r["cell_id"], {}).get(col) != r[k]]
check("cell metadata mapped (strings)", not bad, bad)
bad = [r["cell_id"] for r in cells_src
       if float(by_id[r["cell_id"]]["nominal_capacity_ah"]) != r["nominal_capacity_ah"]
       or by_id[r["cell_id"]]["year"] != str(r["year"])
       or by_id[r["cell_id"]]["start_date"] != r["start_date"] + "Z"]
check("cell metadata mapped (float, integer, datetime)", not bad, bad)
cycles = list(csv.DictReader(open(rep + "/results/cycles.csv")))
want = {(r["cell_id"], r["cycle_index"]): r for r in cycles_src}
got = {(r["cell_id"], int(r["cycle_index"])): r for r in cycles}
check("cycle rows = the query's rows", sorted(got) == sorted(want), (len(got), len(want)))
bad = [k for k, r in want.items() if k in got and (
    float(got[k]["discharge_capacity_ah"]) != r["discharge_capacity_ah"] or
    float(got[k]["test_time_s"]) != r["test_time_s"] or
    float(got[k]["temperature_avg_c"]) != r["temperature_avg_c"])]
check("cycle values mapped", not bad, bad[:5])
n = {c["cell_id"]: int(c["n_cycles"]) for c in cells}
check("n_cycles per cell", all(v == 120 for v in n.values()), n)
man = json.load(open(rep + "/manifest.json"))
names = [i["name"] for i in man["data"]["inputs"]]
check("inputs recorded in the manifest", names == ["redash:query/101", "redash:query/102"], names)
EOF
} >"$TMP/check1.out" 2>&1
cat "$TMP/check1.out"
pass=$((pass + $(grep -c '^PASS' "$TMP/check1.out")))
fail=$((fail + $(grep -c '^FAIL' "$TMP/check1.out")))

# 2. a cached result (max_age) is used without a job
pipeline "$TMP/cached.yaml" 101 102 3600 60
REDASH_URL=$URL REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/cached.yaml" --out "$TMP/reports" \
    --date 2026-01-06 >"$TMP/run2.log" 2>&1
expect "cached result: run exits 0" "[ $? = 0 ]"
jobs_after=$(curl -s "$URL/fixture/log" | "$PY" -c \
    'import json,sys; print(sum(e["path"].startswith("/api/jobs/") for e in json.load(sys.stdin)))')
expect "cached result: no job polled" "[ '$jobs_after' = 6 ]"
expect "cached result: same cells" \
    "cmp -s <(cut -d, -f1 '$REP/results/cells.csv') <(cut -d, -f1 '$TMP/reports/rd/2026-01-06/results/cells.csv')"

# 3. a failed job: exit 69 with Redash's error
pipeline "$TMP/failed.yaml" 101 103 0 60
REDASH_URL=$URL REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/failed.yaml" --out "$TMP/reports" \
    --date 2026-01-07 >"$TMP/run3.log" 2>&1
expect "failed job: exit 69" "[ $? = 69 ]"
expect "failed job: Redash's message shown" \
    "grep -q 'redash query 103 failed: relation \"cycles\" does not exist' '$TMP/run3.log'"

# 4. result without the required columns: exit 65
pipeline "$TMP/nocols.yaml" 104 102 0 60
REDASH_URL=$URL REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/nocols.yaml" --out "$TMP/reports" \
    --date 2026-01-07 >"$TMP/run4.log" 2>&1
expect "missing column: exit 65" "[ $? = 65 ]"
expect "missing column: named" "grep -q \"lacks required column 'cell_id'\" '$TMP/run4.log'"

# 5. a job that never finishes: exit 69 after timeout_s
pipeline "$TMP/slow.yaml" 105 102 0 1.5
REDASH_URL=$URL REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/slow.yaml" --out "$TMP/reports" \
    --date 2026-01-07 >"$TMP/run5.log" 2>&1
expect "job timeout: exit 69" "[ $? = 69 ]"
expect "job timeout: said so" "grep -q 'did not finish within 1.5 s (job status 2)' '$TMP/run5.log'"

# 6. a refused key: exit 78, and the key never appears in the output
REDASH_URL=$URL REDASH_API_KEY=wrong-secret-$$ "$CELLPIPE" run "$TMP/rd.yaml" \
    --out "$TMP/reports" --date 2026-01-07 >"$TMP/run6.log" 2>&1
expect "refused key: exit 78" "[ $? = 78 ]"
expect "refused key: HTTP 403 named" "grep -q 'HTTP 403' '$TMP/run6.log'"
expect "refused key: the key is not printed" "! grep -q 'wrong-secret' '$TMP/run6.log'"

# 7. unknown query: exit 78; no Redash at all: exit 69
pipeline "$TMP/unknown.yaml" 999 102 0 60
REDASH_URL=$URL REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/unknown.yaml" --out "$TMP/reports" \
    --date 2026-01-07 >"$TMP/run7.log" 2>&1
expect "unknown query: exit 78" "[ $? = 78 ]"
DEAD=$(free_port)
REDASH_URL=http://127.0.0.1:$DEAD REDASH_API_KEY=$KEY "$CELLPIPE" run "$TMP/rd.yaml" \
    --out "$TMP/reports" --date 2026-01-07 >"$TMP/run8.log" 2>&1
expect "unreachable Redash: exit 69" "[ $? = 69 ]"
env -u REDASH_URL "$CELLPIPE" run "$TMP/rd.yaml" --out "$TMP/reports" --date 2026-01-07 \
    >"$TMP/run9.log" 2>&1
expect "no URL: exit 78" "[ $? = 78 ]"

finish
