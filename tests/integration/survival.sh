#!/usr/bin/env bash
# Kaplan-Meier and log-rank agree with lifelines (the pinned test tools in build/venv, see
# deployment/requirements-test.txt) on the same cycle lives; 1e-9 relative.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# shellcheck source=lib/mlflow_server.bash
source tests/integration/lib/mlflow_server.bash
if ! mlflow_venv; then
    echo "SKIP survival: no test virtualenv with lifelines (make bootstrap-tests)"
    echo "survival: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
PY=$MLFLOW_VENV/bin/python
if ! "$PY" -c 'import lifelines, numpy' 2>/dev/null; then
    echo "SKIP survival: $PY has no lifelines (make bootstrap-tests)"
    echo "survival: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib/exporter.bash
source tests/integration/lib/exporter.bash
build_exporter tests/integration/survival_export.c "$tmp/export" gsl ||
    { echo "survival: 0 passed, 1 failed, 0 skipped"; exit 1; }
"$tmp/export" "$tmp" || { echo "survival: 0 passed, 1 failed, 0 skipped"; exit 1; }
"$PY" tests/integration/survival.py "$tmp"
