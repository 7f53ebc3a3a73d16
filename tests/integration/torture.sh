#!/usr/bin/env bash
# Allocation torture (curl's idea): the CLI run again and again with allocation N failed
# (CP_FAIL_ALLOC_AT=N fails the Nth allocation and every later one; CP_ALLOC_COUNT=1 prints
# how many a clean run makes; both are test hooks in src/core/alloc.c).
#   - cellpipe validate pipelines/demo.yaml, cellpipe inspect on one small file of each
#     shared format and on a `cellpipe sample` Battery Archive file: every point 1..count;
#   - cellpipe run of a small demo pipeline (4 cells, 60 cycles, plots, MLflow journal
#     only): TORTURE_RUN_POINTS points (2000; 300 in a sanitizer build, 3 to 4 times slower),
#     one seeded (TORTURE_SEED) in each equal slice of its allocation count.
# Every point must exit 70 (out of memory) or the clean run's own failure code, print exactly
# one "cellpipe: " message (no sanitizer report, no signal), and a failed run must publish
# nothing (the report root's dated folders and `latest` unchanged); a clean run afterwards
# still publishes (no stale lock). Leaks are checked only when the binary is a sanitizer build
# (BUILD=build/sanitize, see `make sanitize`): LeakSanitizer then fails the point (exit 99).
# Points run in TORTURE_JOBS lanes (2), each with its own report root.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
DATA=${CELLPIPE_REAL_DATA:-../shared/data}
SEED=${TORTURE_SEED:-20261203}
JOBS=${TORTURE_JOBS:-2}
# On tmpfs when there is one: a run fsyncs every file it publishes, and thousands of runs
# would otherwise spend most of their time waiting for the disk.
tmpbase=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && tmpbase=/dev/shm
tmp=$(mktemp -d "$tmpbase/torture.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Stopped (Ctrl-C, a test runner's timeout): stop the lanes too, and still clean up.
trap 'kill $(jobs -p) 2>/dev/null; exit 1' INT TERM
pass=0 fail=0 skip=0 points=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# A sanitizer finding exits 99, so it cannot pass for a documented code.
export ASAN_OPTIONS=detect_leaks=1:exitcode=99:abort_on_error=0
export LSAN_OPTIONS=exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=99
unset MLFLOW_TRACKING_URI CP_FAIL_ALLOC_AT CP_ALLOC_COUNT
if grep -q __asan_init "$CELLPIPE" 2>/dev/null; then
    leaks=1
    RUN_POINTS=${TORTURE_RUN_POINTS:-300}
else
    leaks=0 skip=$((skip + 1))
    RUN_POINTS=${TORTURE_RUN_POINTS:-2000}
    echo "SKIP leak check: $CELLPIPE is not a sanitizer build (BUILD=build/sanitize)"
fi

# A clean run of "$@": its allocations in $count, its exit code in $clean_rc.
count_allocs() {
    CP_ALLOC_COUNT=1 "$@" >/dev/null 2>"$tmp/count"
    clean_rc=$?
    count=$(sed -n 's/^cellpipe: allocations: \([0-9]*\)$/\1/p' "$tmp/count" | tail -n 1)
}

# One point: allocation $2 fails in "${@:3}"; $1 is the lane's folder. Prints what is wrong and
# returns 1 if anything. Shell builtins only: the suite runs thousands of these.
point() {
    local dir=$1 n=$2 rc line msgs=0 report=0
    shift 2
    CP_FAIL_ALLOC_AT=$n "$@" >/dev/null 2>"$dir/err"
    rc=$?
    while IFS= read -r line; do
        case $line in
        'cellpipe: '*) msgs=$((msgs + 1)) ;;
        esac
        case $line in
        *Sanitizer* | *'runtime error'* | *Assertion*) report=1 ;;
        esac
    done <"$dir/err"
    if [ "$rc" != 70 ] && { [ "$rc" != "$clean_rc" ] || [ "$rc" = 0 ]; }; then
        echo "  point $n: exit $rc (a clean run exits $clean_rc)"
    elif [ "$msgs" != 1 ] || [ "$report" = 1 ]; then
        echo "  point $n: $msgs messages$([ "$report" = 1 ] && echo ', a sanitizer report')"
    else
        return 0
    fi
    sed 's/^/    /' "$dir/err" | head -n 12
    return 1
}

# What a publish into a lane's report root would change, cheaply: the dated folders, and the
# manifest `latest` leads to (a hard link keeps its inode, so a new one cannot reuse it).
mark() {
    local names=("$1"/reports/torture/*)
    ln -f "$1/reports/torture/latest/manifest.json" "$1/manifest.ref" 2>/dev/null
    printf '%s\n' "${names[@]}" >"$1/names"
}
unchanged() {
    local names=("$1"/reports/torture/*) old
    old=$(<"$1/names")
    [ "$1/reports/torture/latest/manifest.json" -ef "$1/manifest.ref" ] &&
        [ "$(printf '%s\n' "${names[@]}")" = "$old" ]
}
# The whole report root (folders, files with size and time, `latest`), not the lock file or
# the staging leftovers the next run removes: compared once per lane, at the end.
snapshot() {
    (cd "$1/reports" && find . \( -name .lock -o -name '.staging-*' -o -name '.old-*' \) -prune \
        -o -type d -printf '%p\n' -o -printf '%p %s %T@\n' | LC_ALL=C sort &&
        readlink torture/latest)
}

# The points of file $1 (one a line) over JOBS lanes; "${@:3}" is the command, in which @LANE@
# stands for the lane's folder. $2 = 1: also check after each point that nothing was
# published. Sets $bad (failed points) and $published (points that published).
run_points() {
    local list=$1 watch=$2 lane
    shift 2
    for lane in $(seq 1 "$JOBS"); do
        (
            dir=$tmp/lane$lane i=0 b=0 p=0 k=0
            args=("${@//@LANE@/$dir}")
            while read -r n; do
                i=$((i + 1))
                [ $(((i - 1) % JOBS + 1)) = "$lane" ] || continue
                k=$((k + 1))
                point "$dir" "$n" "${args[@]}" || b=$((b + 1))
                if [ "$watch" = 1 ] && ! unchanged "$dir"; then
                    p=$((p + 1))
                    echo "  point $n: the report root changed"
                    mark "$dir"
                fi
            done <"$list"
            echo "$k $b $p" >"$dir/result"
        ) >"$tmp/lane$lane/log" &
    done
    wait
    bad=0 published=0
    for lane in $(seq 1 "$JOBS"); do
        cat "$tmp/lane$lane/log"
        read -r k b p <"$tmp/lane$lane/result"
        points=$((points + k)) bad=$((bad + b)) published=$((published + p))
    done
}

for lane in $(seq 1 "$JOBS"); do mkdir -p "$tmp/lane$lane"; done

# Every point 1..count of "$@"; $1 names the case.
torture_all() {
    local name=$1 t0
    shift
    t0=$(now)
    count_allocs "$@"
    if [ -z "$count" ] || [ "$count" -lt 1 ]; then
        check "$name: the clean run reports its allocation count" false
        return
    fi
    seq 1 "$count" >"$tmp/points"
    run_points "$tmp/points" 0 "$@"
    check "$name: all $count points fail cleanly" "[ $bad = 0 ]"
    echo "$name: $count points, $(since "$t0") s"
}

check "validate: the clean run exits 0" "$CELLPIPE validate pipelines/demo.yaml >/dev/null 2>&1"
torture_all "validate demo.yaml" "$CELLPIPE" validate pipelines/demo.yaml

"$CELLPIPE" sample --cells 1 --cycles 20 --out "$tmp/sample" >/dev/null 2>&1
torture_all "inspect cellpipe sample" "$CELLPIPE" inspect "$tmp/sample/cell-0001_cycle_data.csv"

# One small file of each shared format (and a binary export, rejected by name).
for f in pyprobe/sample_data_arbin.csv pyprobe/sample_data_maccor.csv \
    pyprobe/Sample_data_biologic_no_header.mpt pyprobe/sample_data_novonix.csv \
    fastnda/reference_csv/interp-test.btsda_ref.csv \
    battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv \
    battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_timeseries.csv \
    battdat/batterydata_inl/p492-13-summary.csv fastnda/nda/nda_v8.nda; do
    if [ ! -f "$DATA/$f" ]; then
        skip=$((skip + 1)); echo "SKIP inspect $f: not in $DATA"; continue
    fi
    torture_all "inspect $f" "$CELLPIPE" inspect "$DATA/$f"
done

# The run: each lane gets its own report root, with a clean run's report published in it.
pipeline() {
    sed "s#@ROOT@#$1/reports#" >"$1/p.yaml" <<'EOF'
name: torture
source:
  kind: sample
  seed: 7
  cells: 4
  cycles: 60
fits:
  threshold: 0.8
  threads: 1 # one thread: allocation N is the same allocation in every run
plots:
  enabled: true
mlflow:
  enabled: true # no tracking URI: the journal only
report:
  root: @ROOT@
  threads: 1 # the outputs one after another too, for the same reason
EOF
}
t0=$(now)
run=("$CELLPIPE" --quiet run @LANE@/p.yaml)
for lane in $(seq 1 "$JOBS"); do
    dir=$tmp/lane$lane
    pipeline "$dir"
    count_allocs "${run[@]//@LANE@/$dir}"
    check "run: the clean run in lane $lane publishes and reports its allocation count" \
        "[ '$clean_rc' = 0 ] && [ -n '$count' ] && [ -f '$dir/reports/torture/latest/manifest.json' ]"
    mark "$dir"
    snapshot "$dir" >"$dir/before"
done
bad=0 published=0
if [ -n "$count" ]; then
    # One seeded point in each of RUN_POINTS equal slices of [1, count].
    awk -v c="$count" -v k="$RUN_POINTS" -v s="$SEED" 'BEGIN {
        srand(s); if (k > c) k = c
        for (i = 0; i < k; i++) print int(c * i / k) + 1 + int(rand() * (c / k)) }' >"$tmp/points"
    run_points "$tmp/points" 1 "${run[@]}"
fi
check "run: $RUN_POINTS points fail cleanly" "[ $bad = 0 ]"
changed=0
for lane in $(seq 1 "$JOBS"); do
    snapshot "$tmp/lane$lane" | cmp -s - "$tmp/lane$lane/before" || changed=$((changed + 1))
done
check "run: no failed point publishes or moves latest" "[ $published = 0 ] && [ $changed = 0 ]"
echo "run: $RUN_POINTS of $count points, $(since "$t0") s"
dir=$tmp/lane1
check "run: a clean run after the torture still publishes (no stale lock)" \
    "'$CELLPIPE' --quiet run '$dir/p.yaml' >/dev/null 2>'$dir/err' && ! unchanged '$dir'"
[ "$leaks" = 1 ] && echo "leak check: on (sanitizer build)"
echo "torture: $points points run in $JOBS lanes"
echo "torture: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
