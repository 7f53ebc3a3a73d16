#!/usr/bin/env bash
# cellpipe vs its Python peer, side by side, with the peer doing the work cellpipe does today.
#
# The shared harness (../shared/bench: peer_report.py, run_bench.sh, summarize.py, compare.py,
# treemem.py) is read-only and its peer_report.py was written against an older cellpipe, so it
# no longer does the same work (EOL rule, anomaly and outlier scores, forecast bounds, flags,
# statistics stage, 8 plots, workbook layout and deflate level, MLflow journal: see README.md
# here). peer_report.patch brings it level with cellpipe at HEAD. This script copies the harness
# (CELLPIPE_BENCH_DIR, default ../shared/bench, relative to the project root) into
# build/peer-bench/harness/ afresh, applies the patch there (stopping if it does not apply) and
# runs that copy's run_bench.sh from the project root; run_bench.sh runs the peer_report.py
# beside it, so the patched peer is the one measured.
#
# usage: tests/bench/peer/run.sh [ROUNDS]    (arguments go to run_bench.sh; ~10 min for 1)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
src=${CELLPIPE_BENCH_DIR:-../shared/bench}
dst=build/peer-bench/harness
[ -f "$src/peer_report.py" ] && [ -f "$src/run_bench.sh" ] || {
    echo "run.sh: no benchmark harness in '$src' (set CELLPIPE_BENCH_DIR)" >&2
    exit 1
}
rm -rf "$dst"
mkdir -p "$dst"
cp -R "$src"/. "$dst"/
chmod -R u+w "$dst"
if ! patch -p1 -d "$dst" --batch --forward --quiet <"$here/peer_report.patch"; then
    echo "run.sh: peer_report.patch does not apply to $src/peer_report.py" >&2
    exit 1
fi
# python-isal, for the peer's workbook deflate (the engine cellpipe uses at level 1); run_bench.sh
# installs the rest into the same virtualenv when it finds them missing.
venv=build/peer-bench/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import isal' 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check isal
exec "$dst/run_bench.sh" "$@"
