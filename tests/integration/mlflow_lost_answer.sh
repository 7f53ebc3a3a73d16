#!/usr/bin/env bash
# MLflow: the answer to runs/create is lost after the server created the run. A REAL
# `mlflow server` (lib/mlflow_server.bash) sits behind a small stdlib TCP proxy that passes
# every request on and, for the first POST to runs/create, lets the server answer but resets
# the client's connection instead of passing the answer back. cellpipe must look the run up
# by its journal key before it creates it again: exactly one run per journal key, the parent
# FINISHED, the report complete (mlflow_check.py verify).
# Seen failing on the old code (blind resend of the POST): "one run per journal key" failed
# with the parent's key twice, one copy RUNNING without metrics.
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
finish() { echo "mlflowlostanswer: $pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }

. tests/integration/lib/mlflow_server.bash

if ! command -v curl >/dev/null || ! mlflow_venv; then
    echo "SKIP mlflow lost answer: could not install mlflow into $MLFLOW_VENV"
    skip=1
    finish
fi

TMP=$(mktemp -d)
PROXY_PID=
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
    mlflow_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(free_port)
if ! mlflow_start "$TMP/server" "$PORT"; then
    bad "mlflow server starts"
    finish
fi
ok "mlflow server starts"

# The proxy: one upstream connection per request (Connection: close, so the answer ends with
# the upstream's EOF); the first runs/create answer is read and thrown away, and the client
# gets a TCP reset (SO_LINGER 0). Each request line goes to the log, the dropped one marked.
cat >"$TMP/proxy.py" <<'EOF'
import socket, struct, sys, threading

listen_port, upstream_port, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock, dropped = threading.Lock(), [False]


def read_request(conn, buf):
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    return head, rest[:n], rest[n:]


def forward(head, body):
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    up = socket.create_connection(("127.0.0.1", upstream_port), timeout=120)
    up.sendall(b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n" + body)
    answer = b""
    while True:
        data = up.recv(65536)
        if not data:
            break
        answer += data
    up.close()
    return lines[0].decode(), answer


def serve(conn):
    buf = b""
    try:
        while True:
            req = read_request(conn, buf)
            if req is None:
                return
            head, body, buf = req
            line, answer = forward(head, body)
            with lock:
                drop = line.startswith("POST /api/2.0/mlflow/runs/create ") and not dropped[0]
                dropped[0] = dropped[0] or drop
                with open(log_path, "a") as log:
                    log.write(line + (" DROPPED" if drop else "") + "\n")
            if drop:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            conn.sendall(answer)
    finally:
        conn.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen_port))
srv.listen(16)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
PPORT=$(free_port)
"$PY" "$TMP/proxy.py" "$PPORT" "$PORT" "$TMP/proxy.log" 2>"$TMP/proxy.err" &
PROXY_PID=$!
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PPORT") 2>/dev/null && break
    sleep 0.1
done

REP=$TMP/reports
MLFLOW_TRACKING_URI=http://127.0.0.1:$PPORT MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=0.1 \
    MLFLOW_HTTP_REQUEST_BACKOFF_JITTER=0 \
    "$CELLPIPE" run pipelines/demo.yaml --out "$REP" --date 2026-01-05 >"$TMP/run.log" 2>&1
expect "run through the proxy exits 0" "[ $? = 0 ]"
expect "the proxy dropped the first runs/create answer" "grep -q 'runs/create .* DROPPED' '$TMP/proxy.log'"
expect "cellpipe looked the run up before creating it again" \
    "grep -A1 DROPPED '$TMP/proxy.log' | grep -q 'runs/search'"
expect "the run log says so" "grep -q 'op=runs/create .*lookup=yes' '$TMP/run.log'"
D=$REP/demo/2026-01-05
expect "manifest says logged" \
    "[ \"\$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"mlflow\"][\"status\"])' '$D/manifest.json')\" = logged ]"

# Run a checker and count its PASS/FAIL lines.
tally() {
    local out
    out=$("$@" 2>&1)
    echo "$out"
    pass=$((pass + $(grep -c '^PASS' <<<"$out")))
    fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
    if ! grep -q '^PASS' <<<"$out"; then bad "checker ran: $*"; fi
}

# every run of the experiment, read from the server itself (not through the proxy)
$CHECK snapshot --uri "http://127.0.0.1:$PORT" --experiment cellpipe/demo >"$TMP/runs.json" ||
    bad "snapshot of the experiment"
tally "$PY" - "$TMP/runs.json" <<'EOF'
import collections, json, sys
runs = json.load(open(sys.argv[1]))
keys = collections.Counter(dict(r["tags"]).get("cellpipe.journal_key") for r in runs)
twice = {k: n for k, n in keys.items() if n != 1}
print(("PASS" if runs and not twice else "FAIL") + " one run per journal key (%d runs)%s"
      % (len(runs), ": %s" % twice if twice else ""))
parents = [r["status"] for r in runs if "mlflow.parentRunId" not in dict(r["tags"])]
print(("PASS" if parents == ["FINISHED"] else "FAIL") + " one parent run, FINISHED: %s" % parents)
open_runs = [r["name"] for r in runs if r["status"] != "FINISHED"]
print(("PASS" if not open_runs else "FAIL") + " every run closed FINISHED %s" % open_runs)
EOF
tally $CHECK verify --uri "http://127.0.0.1:$PORT" --report "$D" --pipeline pipelines/demo.yaml
finish
