#!/usr/bin/env bash
# Fitted parameters agree with an independent implementation: scipy's curve_fit (Debian's
# python3-scipy, called by full path) refits the curves cellpipe fitted; 1e-6 relative.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
if ! $PY -c 'import scipy, numpy' 2>/dev/null; then
    echo "SKIP fits_scipy: /usr/bin/python3 has no scipy (apt-get install python3-scipy)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib/exporter.bash
source tests/integration/lib/exporter.bash
build_exporter tests/integration/fits_scipy_export.c "$tmp/export" cminpack yaml-0.1 ||
    { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
"$tmp/export" "$tmp" || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
$PY tests/integration/fits_scipy.py "$tmp"
