#!/usr/bin/env bash
# The ML layer agrees with an independent implementation: scikit-learn (build/venv, pinned in
# deployment/requirements-test.txt) refits cellpipe's elastic net, ridge and logistic
# regression on the same standardised features and the same outer and inner folds;
# coefficients to 1e-6 relative, chosen hyperparameters exactly, CV metrics to 1e-6.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# shellcheck source=lib/mlflow_server.bash
source tests/integration/lib/mlflow_server.bash
if ! mlflow_venv; then
    echo "SKIP ml_sklearn: no test virtualenv with scikit-learn (make bootstrap-tests)"
    echo "sklearn: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
PY=$MLFLOW_VENV/bin/python
if ! "$PY" -c 'import sklearn, numpy' 2>/dev/null; then
    echo "SKIP ml_sklearn: $PY has no scikit-learn (make bootstrap-tests)"
    echo "sklearn: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib/exporter.bash
source tests/integration/lib/exporter.bash
build_exporter tests/integration/ml_export.c "$tmp/export" gsl ||
    { echo "sklearn: 0 passed, 1 failed, 0 skipped"; exit 1; }
"$tmp/export" "$tmp" || { echo "sklearn: 0 passed, 1 failed, 0 skipped"; exit 1; }
"$PY" tests/integration/ml_sklearn.py "$tmp"
