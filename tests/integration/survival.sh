#!/usr/bin/env bash
# Kaplan-Meier and log-rank agree with lifelines (the pinned test tools in build/venv, see
# deployment/requirements-test.txt) on the same cycle lives; 1e-9 relative.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# shellcheck source=lib/mlflow_server.bash
source tests/integration/lib/mlflow_server.bash
# shellcheck source=lib/exporter.bash
source tests/integration/lib/exporter.bash
venv_suite survival "lifelines, numpy" tests/integration/survival_export.c tests/integration/survival.py
