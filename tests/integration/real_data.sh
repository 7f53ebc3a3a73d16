#!/usr/bin/env bash
# The analytics on real cycler exports (../shared/data, or $CELLPIPE_REAL_DATA): cellpipe runs a
# files pipeline on each, and tests/integration/real_data_check.py compares results/cells.csv,
# results/cycles.csv and quarantine.csv with numbers computed independently from the files
# themselves (per-cycle maxima, medians, protocol labels) or, for the Maccor exports whose
# per-step counters need a full reader, with values a person checked in the files by eye.
# Each case is skipped by name when its file is absent.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
DATA=${CELLPIPE_REAL_DATA:-$PWD/../shared/data}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

# case NAME FILE RULES: run FILE with the validation RULES ("default", or "all-quarantine":
# every default row rule quarantining with thresholds 1, so that what it sets aside is seen).
run_case() {
    local name=$1 file=$DATA/$2 rules=$3
    if [ ! -f "$file" ]; then
        echo "SKIP $name: $2 not in the real data folder"
        skip=$((skip + 1))
        return
    fi
    {
        echo "name: real"
        echo "source:"
        echo "  kind: files"
        echo "  paths: [\"$file\"]"
        if [ "$rules" = all-quarantine ]; then
            echo "validate:"
            echo "  max_quarantine_fraction: 1"
            echo "  rules:"
            echo "    - {rule: required, column: discharge_capacity_ah, policy: quarantine, threshold: 1}"
            echo "    - {rule: range, column: discharge_capacity_ah, min: 0, policy: quarantine, threshold: 1}"
            echo "    - {rule: outlier, column: discharge_capacity_ah, policy: quarantine, threshold: 1}"
        fi
        echo "report:"
        echo "  root: \"$tmp/$name\""
    } >"$tmp/$name.yaml"
    if ! "$CELLPIPE" run "$tmp/$name.yaml" --date 2026-01-01 >"$tmp/$name.out" 2>&1; then
        echo "FAIL $name: cellpipe run exited $?"
        tail -n 3 "$tmp/$name.out"
        fail=$((fail + 1))
        return
    fi
    local out rc=0
    out=$("$PY" tests/integration/real_data_check.py "$name" "$file" "$tmp/$name/real/2026-01-01") || rc=$?
    if [ "$rc" != 0 ] && ! echo "$out" | grep -q '^FAIL'; then
        # a check that crashed before it could say FAIL is a failure too, not a silent pass
        echo "FAIL $name: real_data_check.py exited $rc"
        fail=$((fail + 1))
    fi
    echo "$out" | grep -E '^(FAIL|SKIP)'
    pass=$((pass + $(echo "$out" | grep -c '^ok')))
    fail=$((fail + $(echo "$out" | grep -c '^FAIL')))
}

run_case inl_summary battdat/batterydata_inl/p492-13-summary.csv all-quarantine
run_case inl_raw battdat/batterydata_inl/p492-13-raw.csv all-quarantine
run_case batteryarchive battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv default
run_case arbin_example battdat/arbin/arbin_example.csv default
run_case maccor_000038 beep/maccor/xTESLADIAG_000038test.078 default
run_case maccor_000109 beep/maccor/PredictionDiagnostics_000109_tztest.010 default
# `cellpipe inspect` on the Battery Archive per-cycle file (it used to crash: its table had no
# cell_id column for the reader to fill).
ba=$DATA/battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv
if [ -f "$ba" ]; then
    if "$CELLPIPE" inspect "$ba" >"$tmp/inspect.out" 2>&1 && grep -q '^  cycles: 9$' "$tmp/inspect.out"; then
        pass=$((pass + 1))
    else
        echo "FAIL inspect batteryarchive: $(tail -n 1 "$tmp/inspect.out")"
        fail=$((fail + 1))
    fi
else
    echo "SKIP inspect_batteryarchive: file not in the real data folder"
    skip=$((skip + 1))
fi
echo "realdata: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
