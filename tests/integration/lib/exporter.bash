# Sourced by the suites that compare cellpipe's numbers with a Python reference
# (statistics.sh, survival.sh, fits_scipy.sh): a small C exporter linked against the same
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
