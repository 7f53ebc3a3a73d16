# Sourced by the PostgreSQL benchmarks: `pg_bench_begin NAME` starts a private server
# (tests/integration/pg-server) and makes WORK a scratch folder, both removed on exit; without
# server binaries it prints "NAME: skipped" and exits 0.
source tests/integration/pg-server
WORK=""
pg_bench_cleanup() {
    pg_server_stop
    [ -n "$WORK" ] && rm -rf "$WORK"
}
pg_bench_begin() {
    if ! pg_server_available; then
        echo "$1: skipped (no PostgreSQL server binaries)"
        exit 0
    fi
    trap pg_bench_cleanup EXIT
    trap 'exit 130' INT TERM
    pg_server_start || exit 1
    WORK=$(mktemp -d "/tmp/cellpipe-$1.XXXXXX")
}
