# Sourced by the suites that compare cellpipe's numbers with a Python reference
# (statistics.sh, survival.sh, fits_scipy.sh, ml_sklearn.sh): a small C exporter linked against the same
# library the other tests use, so the sanitizer build runs it with the same runtime.
# Not a suite itself (the .bash suffix keeps tests/run-all from running it).

# build_exporter SOURCE OUT PKG...: compile SOURCE into OUT with the cflags/libs of the
# pkg-config packages PKG (BUILD names the build folder). 0 when it built.
build_exporter() {
    local src=$1 out=$2
    shift 2
    local cc=${CC:-cc} san=
    case ${BUILD:-build} in *sanitize*) cc=clang san="-fsanitize=address,undefined" ;; esac
    [ -f "${BUILD:-build}/libcellpipe.a" ] ||
        make -s "${BUILD:-build}/libcellpipe.a" >/dev/null || return 1
    # shellcheck disable=SC2046  # the flags are words
    $cc -std=c11 -D_DEFAULT_SOURCE -O2 $san -Iinclude $(pkg-config --cflags "$@") -o "$out" \
        "$src" "${BUILD:-build}/libcellpipe.a" $(pkg-config --libs "$@") -lm -lpthread
}

# venv_suite LABEL MODULES EXPORTER SCRIPT: the whole of a suite that checks what a C exporter
# writes with a Python script in the pinned test virtualenv (survival.sh, ml_sklearn.sh; needs
# lib/mlflow_server.bash sourced). Skipped, with the reason, when the virtualenv or its MODULES
# ("lifelines, numpy") are missing; one failure when the exporter does not build or run;
# otherwise the script's own result line and status.
venv_suite() {
    local label=$1 modules=$2 src=$3 script=$4 tmp rc=1
    if ! mlflow_venv; then
        echo "SKIP $label: no test virtualenv with $modules (make bootstrap-tests)"
    elif ! "$MLFLOW_VENV/bin/python" -c "import $modules" 2>/dev/null; then
        echo "SKIP $label: $MLFLOW_VENV/bin/python has no $modules (make bootstrap-tests)"
    else
        tmp=$(mktemp -d)
        if build_exporter "$src" "$tmp/export" gsl && "$tmp/export" "$tmp"; then
            "$MLFLOW_VENV/bin/python" "$script" "$tmp"
            rc=$?
        else
            echo "$label: 0 passed, 1 failed, 0 skipped"
        fi
        rm -rf "$tmp"
        return $rc
    fi
    echo "$label: 0 passed, 0 failed, 1 skipped"
}
