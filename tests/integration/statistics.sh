#!/usr/bin/env bash
# Descriptive statistics agree with independent implementations: numpy and scipy.stats
# (Debian's python3-scipy, called by full path) on the same samples; 1e-9 relative.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
if ! $PY -c 'import scipy, numpy' 2>/dev/null; then
    echo "SKIP statistics: /usr/bin/python3 has no scipy (apt-get install python3-scipy)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib/exporter.bash
source tests/integration/lib/exporter.bash
build_exporter tests/integration/statistics_export.c "$tmp/export" gsl ||
    { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
"$tmp/export" "$tmp" || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
$PY tests/integration/statistics_check.py "$tmp"
