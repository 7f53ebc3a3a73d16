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
# shellcheck source=lib/exporter.bash
source tests/integration/lib/exporter.bash
venv_suite sklearn "sklearn, numpy" tests/integration/ml_export.c tests/integration/ml_sklearn.py
