# Sourced by tests/integration/mlflow.sh and tests/bench/run: a REAL `mlflow server` from a
# virtualenv under build/venv (created on first use with `python3 -m venv` + pip install
# mlflow, then reused), SQLite backend, artifacts served from a temp folder, 127.0.0.1 on a
# free port. Not a suite itself (the .bash suffix keeps tests/run-all from running it).

MLFLOW_VENV=${MLFLOW_VENV:-$PWD/build/venv}
# The Debian interpreter has python3-venv (deployment/bootstrap installs it).
MLFLOW_PY=${MLFLOW_PY:-$(command -v /usr/bin/python3 || command -v python3)}

MLFLOW_REQS=${MLFLOW_REQS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/deployment/requirements-test.txt}

# The venv holds exactly deployment/requirements-test.txt: the marker records the file's hash,
# so a changed pin reinstalls and a half-finished install is redone. 0 or 1.
mlflow_venv() {
    local want
    want=$(sha256sum "$MLFLOW_REQS" | cut -d' ' -f1) || return 1
    if [ -x "$MLFLOW_VENV/bin/mlflow" ] && [ "$(cat "$MLFLOW_VENV/.reqs-ok" 2>/dev/null)" = "$want" ]
    then
        return 0
    fi
    echo "mlflow: installing the pinned test tools into $MLFLOW_VENV (a few minutes)" >&2
    if [ ! -x "$MLFLOW_VENV/bin/pip" ]; then
        "$MLFLOW_PY" -m venv --clear "$MLFLOW_VENV" >&2 || return 1
    fi
    "$MLFLOW_VENV/bin/pip" install -q --disable-pip-version-check -r "$MLFLOW_REQS" >&2 ||
        return 1
    echo "$want" >"$MLFLOW_VENV/.reqs-ok"
}

# shellcheck source=ports.bash
source "$(dirname "${BASH_SOURCE[0]}")/ports.bash"

# mlflow_start DIR PORT: backend DIR/mlflow.db, artifacts DIR/artifacts, log DIR/server.log.
# Sets MLFLOW_PID (a process group leader, so the workers stop with it). 0 when healthy.
mlflow_start() {
    local dir=$1 port=$2
    mkdir -p "$dir/artifacts"
    setsid "$MLFLOW_VENV/bin/mlflow" server \
        --backend-store-uri "sqlite:///$dir/mlflow.db" \
        --artifacts-destination "$dir/artifacts" --serve-artifacts \
        --host 127.0.0.1 --port "$port" --workers 1 >>"$dir/server.log" 2>&1 &
    MLFLOW_PID=$!
    local i
    for i in $(seq 1 240); do
        if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$MLFLOW_PID" 2>/dev/null || break
        sleep 0.5
    done
    echo "mlflow: server did not start; last lines of its log:" >&2
    tail -n 20 "$dir/server.log" >&2
    return 1
}

# Stop the server started last (SIGKILL with "hard": a crash, not a shutdown).
mlflow_stop() {
    [ -n "${MLFLOW_PID:-}" ] || return 0
    if [ "${1:-}" = hard ]; then
        kill -KILL -- "-$MLFLOW_PID" 2>/dev/null
    else
        kill -TERM -- "-$MLFLOW_PID" 2>/dev/null
    fi
    local i
    for i in $(seq 1 40); do
        kill -0 -- "-$MLFLOW_PID" 2>/dev/null || break
        sleep 0.25
    done
    kill -KILL -- "-$MLFLOW_PID" 2>/dev/null
    { wait "$MLFLOW_PID"; } 2>/dev/null
    MLFLOW_PID=
}
